#ifndef SWIFT_IPMI_CLIBCRYPTO_SHIM_H
#define SWIFT_IPMI_CLIBCRYPTO_SHIM_H
// OpenSSL libcrypto: HMAC, digests, AES-CBC and the random generator are all
// the IPMI session layer needs (IPMI v2.0 sections 13.28-13.29).
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/md5.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>

// HMAC_CTX is deprecated in OpenSSL 3 but kept on purpose: a session keys one
// context once and resets it per packet with HMAC_Init_ex(ctx, NULL, 0, NULL,
// NULL), which reuses the hashed key pads. The wrappers below are the only
// place that names the deprecated calls, so builds stay free of warnings.
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdeprecated-declarations"
#elif defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

static inline HMAC_CTX *ipmi_hmac_ctx_new(void) { return HMAC_CTX_new(); }

static inline void ipmi_hmac_ctx_free(HMAC_CTX *ctx) { HMAC_CTX_free(ctx); }

static inline int ipmi_hmac_init(HMAC_CTX *ctx, const void *key, int key_length,
                                 const EVP_MD *md) {
  return HMAC_Init_ex(ctx, key, key_length, md, NULL);
}

static inline int ipmi_hmac_update(HMAC_CTX *ctx, const unsigned char *data,
                                   size_t length) {
  return HMAC_Update(ctx, data, length);
}

static inline int ipmi_hmac_final(HMAC_CTX *ctx, unsigned char *out,
                                  unsigned int *length) {
  return HMAC_Final(ctx, out, length);
}

#if defined(__clang__)
#pragma clang diagnostic pop
#elif defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
#endif
