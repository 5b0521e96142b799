#ifndef SWIFT_IPMI_CCURL_SHIM_H
#define SWIFT_IPMI_CCURL_SHIM_H
#include <curl/curl.h>
// curl_easy_setopt is variadic, which Swift cannot call: one typed wrapper per
// argument kind.
static inline CURLcode ipmi_curl_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode ipmi_curl_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode ipmi_curl_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode ipmi_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode ipmi_curl_setopt_write_function(CURL *h, size_t (*f)(char *, size_t, size_t, void *)) { return curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, f); }
static inline CURLcode ipmi_curl_setopt_read_function(CURL *h, size_t (*f)(char *, size_t, size_t, void *)) { return curl_easy_setopt(h, CURLOPT_READFUNCTION, f); }
static inline CURLcode ipmi_curl_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
// Macros built from casts and shifts do not import into Swift.
static inline CURLcode ipmi_curl_global_init_all(void) { return curl_global_init(CURL_GLOBAL_ALL); }
static inline CURLcode ipmi_curl_setopt_basic_auth(CURL *h) { return curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC); }
#endif
