#!/usr/bin/env python3
"""Writes the seed inputs of the packet, sdr and reading harnesses into fuzz/corpus/NAME/seed-*.

Seeds come from real traffic and real records: the ipmitool/ipmi_sim captures and the scripted handshakes in
Tests/IPMITests/Fixtures, and the lab BMC's SDR repository compiled by OpenIPMI's sdrcomp. The session harness
writes its own seeds (FUZZ_WRITE_SEEDS, see fuzz/run.sh --seed). Run from the package root."""
import json, os, subprocess, sys, tempfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
fixtures = os.path.join(root, "Tests/IPMITests/Fixtures")

def write(name, seeds):
    directory = os.path.join(root, "fuzz/corpus", name)
    os.makedirs(directory, exist_ok=True)
    for index, seed in enumerate(seeds):
        with open(os.path.join(directory, "seed-%03d" % index), "wb") as f:
            f.write(bytes(seed))

# packet: every datagram of the captures, both directions, and every scripted BMC datagram.
packets = []
for capture in sorted(os.listdir(fixtures)):
    if capture.startswith("ipmitool-") and capture.endswith(".txt"):
        for line in open(os.path.join(fixtures, capture)):
            parts = line.split()
            if len(parts) == 2:
                packets.append(bytes.fromhex(parts[1]))
vectors = json.load(open(os.path.join(fixtures, "vectors.json")))
for handshake in vectors["handshakes"]:
    for step in handshake["steps"]:
        if step.get("bmc"):
            packets.append(bytes.fromhex(step["bmc"]))
unique = []
for p in packets:
    if p not in unique:
        unique.append(p)
write("packet", unique)

# sdr: the whole lab repository, and each record on its own.
with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "main.bin")
    subprocess.run(["sdrcomp", "-r", "-o", out, os.path.join(root, "Tests/Lab/sdrs/main.sdrs")], check=True)
    repository = open(out, "rb").read()
records = []
offset = 0
while offset + 5 <= len(repository):
    length = 5 + repository[offset + 4]
    records.append(repository[offset:offset + length])
    offset += length
write("sdr", [repository] + records)

# reading: each sensor record with plausible Get Sensor Reading answers (IPMI v2.0 section 35.14):
# a threshold reading, a discrete state mask, "scanning disabled", "unavailable" and an error completion code.
answers = [[0x00, 0x7A, 0xC0, 0x00], [0x00, 0x00, 0xC0, 0x02, 0x80], [0x00, 0x10, 0x80, 0x00],
           [0x00, 0x00, 0xE0], [0xCB]]
readings = []
for record in records:
    if record[3] in (0x01, 0x02) and len(record) < 256:
        for answer in answers:
            readings.append(bytes([len(record)]) + record + bytes(answer))
write("reading", readings)
print("packet %d, sdr %d, reading %d seeds" % (len(unique), len(records) + 1, len(readings)), file=sys.stderr)
