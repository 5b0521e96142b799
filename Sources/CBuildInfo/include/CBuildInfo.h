#ifndef C_BUILD_INFO_H
#define C_BUILD_INFO_H

// The version and git commit of this build. A release build (`make package`, scripts/package.sh) passes them in
// through Package.swift; any other build reports "dev" and "unknown".
const char *ipmi_exporter_build_version(void);
const char *ipmi_exporter_build_revision(void);

#endif
