#ifndef SWIFT_IPMI_CLIBCRYPTO_SHIM_H
#define SWIFT_IPMI_CLIBCRYPTO_SHIM_H
// OpenSSL libcrypto: HMAC, digests, AES-CBC and the random generator are all
// the IPMI session layer needs (IPMI v2.0 sections 13.28-13.29).
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/md5.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#endif
