#ifndef SWIFT_IPMI_CLIBCRYPTO_SHIM_H
#define SWIFT_IPMI_CLIBCRYPTO_SHIM_H
// OpenSSL libcrypto: HMAC, digests, AES-CBC and the random generator are all
// the IPMI session layer needs (IPMI v2.0 sections 13.28-13.29).
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/md5.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <string.h>

// HMAC_CTX and the low-level digest calls (SHA1_Init and the like) are
// deprecated in OpenSSL 3 but kept on purpose: they work on plain structs,
// without the provider lookups and allocations of the EVP layer, which cost
// more than hashing a 40-byte IPMI packet. The functions below are the only
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

// HMAC (RFC 2104) with the key's inner and outer digest states computed once
// per session. A packet then costs a copy of two plain structs and the hashing
// of its bytes: HMAC_Init_ex's reset duplicates OpenSSL 3 provider contexts,
// two heap allocations per HMAC, and IPMI sessions compute two per exchange.
// The digests are OpenSSL's own (SHA1, MD5, SHA256); only the construction
// H(K ^ opad, H(K ^ ipad, data)) is written out here.
enum { IPMI_HMAC_SHA1 = 1, IPMI_HMAC_MD5 = 2, IPMI_HMAC_SHA256 = 3 };

typedef union {
  SHA_CTX sha1;
  MD5_CTX md5;
  SHA256_CTX sha256;
} ipmi_digest_state;

typedef struct {
  int algorithm;
  ipmi_digest_state inner;
  ipmi_digest_state outer;
} ipmi_hmac_key;

static inline void ipmi_digest_begin(int algorithm, ipmi_digest_state *state) {
  switch (algorithm) {
  case IPMI_HMAC_SHA1: SHA1_Init(&state->sha1); break;
  case IPMI_HMAC_MD5: MD5_Init(&state->md5); break;
  default: SHA256_Init(&state->sha256); break;
  }
}

static inline void ipmi_digest_add(int algorithm, ipmi_digest_state *state,
                                   const void *data, size_t length) {
  switch (algorithm) {
  case IPMI_HMAC_SHA1: SHA1_Update(&state->sha1, data, length); break;
  case IPMI_HMAC_MD5: MD5_Update(&state->md5, data, length); break;
  default: SHA256_Update(&state->sha256, data, length); break;
  }
}

/// Writes the digest (20, 16 or 32 bytes) and returns its length.
static inline unsigned int ipmi_digest_end(int algorithm,
                                           ipmi_digest_state *state,
                                           unsigned char *out) {
  switch (algorithm) {
  case IPMI_HMAC_SHA1: SHA1_Final(out, &state->sha1); return 20;
  case IPMI_HMAC_MD5: MD5_Final(out, &state->md5); return 16;
  default: SHA256_Final(out, &state->sha256); return 32;
  }
}

/// Keys `key` for `algorithm` (one of IPMI_HMAC_*); 0 for an unknown one.
static inline int ipmi_hmac_key_init(ipmi_hmac_key *key, int algorithm,
                                     const unsigned char *secret,
                                     size_t length) {
  if (algorithm != IPMI_HMAC_SHA1 && algorithm != IPMI_HMAC_MD5 &&
      algorithm != IPMI_HMAC_SHA256)
    return 0;
  // All three digests have 64-byte blocks; a longer key is hashed first.
  unsigned char block[64] = {0};
  if (length > sizeof block) {
    ipmi_digest_state state;
    ipmi_digest_begin(algorithm, &state);
    ipmi_digest_add(algorithm, &state, secret, length);
    ipmi_digest_end(algorithm, &state, block);
  } else if (length > 0) {
    memcpy(block, secret, length);
  }
  unsigned char pad[64];
  key->algorithm = algorithm;
  for (size_t i = 0; i < sizeof pad; i++) pad[i] = block[i] ^ 0x36;
  ipmi_digest_begin(algorithm, &key->inner);
  ipmi_digest_add(algorithm, &key->inner, pad, sizeof pad);
  for (size_t i = 0; i < sizeof pad; i++) pad[i] = block[i] ^ 0x5c;
  ipmi_digest_begin(algorithm, &key->outer);
  ipmi_digest_add(algorithm, &key->outer, pad, sizeof pad);
  OPENSSL_cleanse(block, sizeof block);
  OPENSSL_cleanse(pad, sizeof pad);
  return 1;
}

/// The HMAC of `data` under `key`, written to `out` (room for 32 bytes);
/// returns its length. `key` is only read, so one key serves many threads.
static inline unsigned int ipmi_hmac_compute(const ipmi_hmac_key *key,
                                             const void *data, size_t length,
                                             unsigned char *out) {
  unsigned char inner[32];
  ipmi_digest_state state = key->inner;
  ipmi_digest_add(key->algorithm, &state, data, length);
  unsigned int innerLength = ipmi_digest_end(key->algorithm, &state, inner);
  state = key->outer;
  ipmi_digest_add(key->algorithm, &state, inner, innerLength);
  return ipmi_digest_end(key->algorithm, &state, out);
}

static inline void ipmi_hmac_key_clear(ipmi_hmac_key *key) {
  OPENSSL_cleanse(key, sizeof *key);
}

#if defined(__clang__)
#pragma clang diagnostic pop
#elif defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
#endif
