#!/usr/bin/env python3
"""Prints the Event and State columns the installed libfreeipmi gives SEL records, as
`ipmi-sel --output-event-state --interpret-oem-data` prints them: the oracle of the SEL text tests that go through
every combination of a manufacturer's interpretation instead of the few entries an ipmi_sim SEL can hold.

  scripts/freeipmi-sel-text.py [--sdr-cache FILE] < records

Each input line is `<manufacturer ID> <product ID> <record>`: the IDs in decimal (as Get Device ID gives them), the
16-byte SEL record (IPMI v2.0 §32.1) in hex. Each output line, in the same order, is `<event>\t<state>`: the Event
column (ipmi-sel's "%E" with its flags, "%o" for an OEM record, separator " ; ", "N/A" when empty) and the State
column (Nominal, Warning, Critical or N/A). Without --sdr-cache there are no SDRs, as for an entry whose sensor has
none; with it, the SDR cache file ipmi-sel/ipmi-sensors wrote (`--sdr-cache-file`) is used, for interpretations that
need an SDR (Intel Node Manager's OEM record).

ipmi-sel calls the same library functions: ipmi_sel_parse_read_record_string for the Event column and
ipmi_interpret_sel for the State column, both told the BMC's manufacturer and product.

Needs python3 and libfreeipmi17 (Debian: freeipmi-tools pulls it in).
"""
import ctypes
import sys

from freeipmi_tables import library

# libfreeipmi's public constants (freeipmi/sel/ipmi-sel.h, freeipmi/interpret/ipmi-interpret.h)
SEL_STRING_FLAGS = 0x0002 | 0x0004 | 0x0010 | 0x0040 | 0x0100  # what ipmi-sel sets with the exporter's options
SEL_PARAMETER_INTERPRET_CONTEXT = 0x0001
INTERPRET_FLAGS_INTERPRET_OEM_DATA = 0x0001
STATES = {0: "Nominal", 1: "Warning", 2: "Critical"}


def main():
    args = sys.argv[1:]
    sdr_cache = None
    if args[:1] == ["--sdr-cache"]:
        sdr_cache = args[1].encode()
    lib, _ = library()
    vp = ctypes.c_void_p
    lib.ipmi_sel_ctx_create.restype = vp
    lib.ipmi_sel_ctx_create.argtypes = [vp, vp]
    lib.ipmi_sdr_ctx_create.restype = vp
    lib.ipmi_sdr_cache_open.argtypes = [vp, vp, ctypes.c_char_p]
    lib.ipmi_interpret_ctx_create.restype = vp
    lib.ipmi_interpret_ctx_set_flags.argtypes = [vp, ctypes.c_uint]
    lib.ipmi_interpret_load_sel_config.argtypes = [vp, ctypes.c_char_p]
    for name in ("ipmi_sel_ctx_set_manufacturer_id", "ipmi_interpret_ctx_set_manufacturer_id"):
        getattr(lib, name).argtypes = [vp, ctypes.c_uint32]
    for name in ("ipmi_sel_ctx_set_product_id", "ipmi_interpret_ctx_set_product_id"):
        getattr(lib, name).argtypes = [vp, ctypes.c_uint16]
    lib.ipmi_sel_ctx_set_ipmi_version.argtypes = [vp, ctypes.c_uint8, ctypes.c_uint8]
    lib.ipmi_sel_ctx_set_separator.argtypes = [vp, ctypes.c_char_p]
    lib.ipmi_sel_ctx_set_parameter.argtypes = [vp, ctypes.c_uint, vp]
    lib.ipmi_sel_parse_read_record_string.argtypes = [vp, ctypes.c_char_p, vp, ctypes.c_uint, ctypes.c_char_p,
                                                      ctypes.c_uint, ctypes.c_uint]
    lib.ipmi_interpret_sel.argtypes = [vp, vp, ctypes.c_uint, ctypes.POINTER(ctypes.c_uint)]

    sdr = None
    if sdr_cache:
        sdr = lib.ipmi_sdr_ctx_create()
        if lib.ipmi_sdr_cache_open(sdr, None, sdr_cache) < 0:
            sys.exit(f"cannot open the SDR cache {sdr_cache.decode()}")
    sel = lib.ipmi_sel_ctx_create(None, sdr)
    interpret = lib.ipmi_interpret_ctx_create()
    if not sel or not interpret:
        sys.exit("libfreeipmi: cannot create a context")
    lib.ipmi_interpret_ctx_set_flags(interpret, INTERPRET_FLAGS_INTERPRET_OEM_DATA)
    if lib.ipmi_interpret_load_sel_config(interpret, None) < 0:
        sys.exit("libfreeipmi: cannot load the SEL interpretation")
    lib.ipmi_sel_ctx_set_separator(sel, b" ; ")
    pointer = ctypes.c_void_p(interpret)
    lib.ipmi_sel_ctx_set_parameter(sel, SEL_PARAMETER_INTERPRET_CONTEXT, ctypes.byref(pointer))
    lib.ipmi_sel_ctx_set_ipmi_version(sel, 2, 0)

    buf = ctypes.create_string_buffer(4097)
    state = ctypes.c_uint()
    device = None
    out = []
    for line in sys.stdin:
        fields = line.split()
        if not fields:
            continue
        manufacturer, product, record = int(fields[0]), int(fields[1]), bytes.fromhex(fields[2])
        if (manufacturer, product) != device:
            device = (manufacturer, product)
            lib.ipmi_sel_ctx_set_manufacturer_id(sel, manufacturer)
            lib.ipmi_sel_ctx_set_product_id(sel, product)
            lib.ipmi_interpret_ctx_set_manufacturer_id(interpret, manufacturer)
            lib.ipmi_interpret_ctx_set_product_id(interpret, product)
        ctypes.memset(buf, 0, len(buf))
        # ipmi-sel's Event column of an OEM record (types C0h-FFh) is its OEM data ("%o"), with the manufacturer's
        # interpretation when there is one.
        fmt = b"%o" if len(record) > 2 and record[2] >= 0xC0 else b"%E"
        n = lib.ipmi_sel_parse_read_record_string(sel, fmt, record, len(record), buf, 4096, SEL_STRING_FLAGS)
        event = buf.value.decode("latin-1") if n > 0 else "N/A"
        if lib.ipmi_interpret_sel(interpret, record, len(record), ctypes.byref(state)) < 0:
            text_state = "error"
        else:
            text_state = STATES.get(state.value, "N/A")
        out.append(f"{event}\t{text_state}")
    sys.stdout.write("\n".join(out) + ("\n" if out else ""))


if __name__ == "__main__":
    main()
