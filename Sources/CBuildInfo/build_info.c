#include "CBuildInfo.h"

// Package.swift defines these from IPMI_EXPORTER_VERSION and IPMI_EXPORTER_REVISION in the environment of
// `swift build`, as C string literals: a C target is the one place SwiftPM lets a build-time value in, and only this
// file is recompiled when it changes.
#ifndef IPMI_EXPORTER_VERSION
#define IPMI_EXPORTER_VERSION "dev"
#endif
#ifndef IPMI_EXPORTER_REVISION
#define IPMI_EXPORTER_REVISION "unknown"
#endif

const char *ipmi_exporter_build_version(void) { return IPMI_EXPORTER_VERSION; }

const char *ipmi_exporter_build_revision(void) { return IPMI_EXPORTER_REVISION; }
