#!/usr/bin/env python3
"""Prints what the installed libfreeipmi says event data 2 and 3 of a sensor-specific extension code mean, as
`ipmi-sel` prints them in its Event column: the oracle of SELEventDataAgainstFreeIPMITests, which compares
SELEventData (Sources/ExporterCollectors/SELEventData.swift) with it for every sensor type, offset and byte asked.

libfreeipmi exports the two functions ipmi-sel calls for those bytes, ipmi_get_event_data2_message(sensor type,
offset, event data 2) and ipmi_get_event_data3_message(sensor type, offset, event data 2, event data 3); a result
of 0 or less means "no text", and ipmi-sel then prints the byte ("Event Data2 = XXh").

  scripts/freeipmi-event-data.py SENSOR_TYPE_MAX DATA2_FOR_DATA3...

asks sensor types 0..SENSOR_TYPE_MAX, offsets 0-15, event data 2 00h-FFh; and event data 3 00h-FFh with each given
event data 2. Prints one tab-separated line per answer with a text: `2 <type> <offset> <data2> <text>` or
`3 <type> <offset> <data2> <data3> <text>` (numbers in decimal); a combination not printed has no text.

Needs python3 and libfreeipmi17 (Debian: freeipmi-tools pulls it in).
"""
import ctypes
import sys

from freeipmi_tables import library


def main():
    sensor_type_max = int(sys.argv[1], 0)
    data2_for_data3 = [int(a, 0) for a in sys.argv[2:]]
    lib, _ = library()
    lib.ipmi_get_event_data2_message.argtypes = [ctypes.c_uint8, ctypes.c_uint, ctypes.c_uint8, ctypes.c_char_p,
                                                 ctypes.c_uint]
    lib.ipmi_get_event_data3_message.argtypes = [ctypes.c_uint8, ctypes.c_uint, ctypes.c_uint8, ctypes.c_uint8,
                                                 ctypes.c_char_p, ctypes.c_uint]
    buf = ctypes.create_string_buffer(1025)
    out = []
    for sensor_type in range(sensor_type_max + 1):
        for offset in range(16):
            for data2 in range(256):
                ctypes.memset(buf, 0, len(buf))
                if lib.ipmi_get_event_data2_message(sensor_type, offset, data2, buf, 1024) > 0:
                    out.append(f"2\t{sensor_type}\t{offset}\t{data2}\t{buf.value.decode('latin-1')}")
            for data2 in data2_for_data3:
                for data3 in range(256):
                    ctypes.memset(buf, 0, len(buf))
                    if lib.ipmi_get_event_data3_message(sensor_type, offset, data2, data3, buf, 1024) > 0:
                        out.append(f"3\t{sensor_type}\t{offset}\t{data2}\t{data3}\t{buf.value.decode('latin-1')}")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
