#ifndef SWIFT_IPMI_CCRYPT_SHIM_H
#define SWIFT_IPMI_CCRYPT_SHIM_H
// libxcrypt (Debian's libcrypt): bcrypt for the web config's basic_auth_users,
// through the reentrant crypt_rn, which keeps all its state in the caller's
// struct crypt_data (crypt() uses one static buffer and is not thread-safe).
#include <crypt.h>

#endif
