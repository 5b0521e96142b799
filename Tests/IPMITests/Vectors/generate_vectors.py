#!/usr/bin/env python3
"""Independent known-answer vectors for the IPMI target's tests.

Regenerate (from the package root):

    python3 Tests/IPMITests/Vectors/generate_vectors.py > Tests/IPMITests/Fixtures/vectors.json

Everything here is computed with Python's hmac/hashlib and the `openssl enc -aes-128-cbc -nopad` command
line tool, written from the IPMI v2.0 rev 1.1 specification (sections 13.6, 13.8, 13.17-13.23, 13.28-13.32,
22.13, 22.15, 22.18, 22.19), never with the Swift code under test. The output is deterministic: all
"random" inputs are fixed below.
"""
import hashlib
import hmac
import json
import struct
import subprocess

HASHES = {"sha1": hashlib.sha1, "md5": hashlib.md5, "sha256": hashlib.sha256}
# authentication algorithm number -> hash name (table 13-17)
AUTH = {0: None, 1: "sha1", 2: "md5", 3: "sha256"}
# RAKP 4 integrity check value length per authentication algorithm (13.28.1)
ICV_LEN = {0: 0, 1: 12, 2: 16, 3: 16}
# integrity algorithm number -> AuthCode length (table 13-18)
INTEGRITY_LEN = {0: 0, 1: 12, 2: 16, 3: 16, 4: 16}
# cipher suite -> (auth, integrity, confidentiality), table 22-20
SUITES = {
    0: (0, 0, 0), 1: (1, 0, 0), 2: (1, 1, 0), 3: (1, 1, 1), 6: (2, 0, 0), 7: (2, 2, 0), 8: (2, 2, 1),
    11: (2, 3, 0), 12: (2, 3, 1), 15: (3, 0, 0), 16: (3, 4, 0), 17: (3, 4, 1),
}


def hx(data):
    return bytes(data).hex()


def le32(value):
    return struct.pack("<I", value)


def hmac_of(name, key, data):
    return hmac.new(bytes(key), bytes(data), HASHES[name]).digest()


def zero_pad(data, length):
    return bytes(data) + bytes(length - len(data))


def aes_encrypt(key, iv, plaintext):
    out = subprocess.run(
        ["openssl", "enc", "-aes-128-cbc", "-nopad", "-K", key.hex(), "-iv", iv.hex()],
        input=plaintext, capture_output=True, check=True)
    return out.stdout


def confidentiality_trailer(payload):
    """Section 13.29: pad bytes 1, 2, 3, ... N then the pad length N; total a multiple of 16."""
    n = 0
    while (len(payload) + n + 1) % 16:
        n += 1
    return bytes(payload) + bytes(range(1, n + 1)) + bytes([n])


def aes_payload(key, iv, payload):
    return iv + aes_encrypt(key, iv, confidentiality_trailer(payload))


def rakp_values(auth, password, kg, rm, rc, guid, sidm, sidc, role, user):
    """Sections 13.21-13.23 and 13.31-13.32."""
    name = AUTH[auth]
    kuid = zero_pad(password, 20)
    kgen = zero_pad(kg, 20) if kg and any(kg) else kuid
    rn = bytes([role, len(user)]) + user
    if name is None:
        return dict(rakp2=b"", rakp3=b"", sik=b"", k1=b"", k2=b"", rakp4=b"")
    rakp2 = hmac_of(name, kuid, le32(sidm) + le32(sidc) + rm + rc + guid + rn)
    rakp3 = hmac_of(name, kuid, rc + le32(sidm) + rn)
    sik = hmac_of(name, kgen, rm + rc + rn)
    k1 = hmac_of(name, sik, b"\x01" * 20)
    k2 = hmac_of(name, sik, b"\x02" * 20)
    rakp4 = hmac_of(name, sik, rm + le32(sidc) + guid)[: ICV_LEN[auth]]
    return dict(rakp2=rakp2, rakp3=rakp3, sik=sik, k1=k1, k2=k2, rakp4=rakp4)


def auth_code(integrity, k1, password, data):
    """Section 13.28.4."""
    if integrity == 1:
        return hmac_of("sha1", k1, data)[:12]
    if integrity == 2:
        return hmac_of("md5", k1, data)
    if integrity == 3:
        pw = zero_pad(password, 20)
        return hashlib.md5(pw + bytes(data) + pw).digest()
    if integrity == 4:
        return hmac_of("sha256", k1, data)[:16]
    return b""


RMCP = bytes([0x06, 0x00, 0xFF, 0x07])


def checksum(data):
    return (-sum(data)) & 0xFF


def ipmi_request(netfn, cmd, data, rqseq, rsaddr=0x20, rqaddr=0x81, lun=0):
    head = bytes([rsaddr, (netfn << 2) | lun])
    body = bytes([rqaddr, rqseq << 2, cmd]) + bytes(data)
    return head + bytes([checksum(head)]) + body + bytes([checksum(body)])


def ipmi_response(netfn, cmd, cc, data, rqseq, rsaddr=0x20, rqaddr=0x81):
    head = bytes([rqaddr, ((netfn | 1) << 2)])
    body = bytes([rsaddr, rqseq << 2, cmd, cc]) + bytes(data)
    return head + bytes([checksum(head)]) + body + bytes([checksum(body)])


def v15_packet(message):
    """Section 13.6, table 13-8, IPMI v1.5 layout with authentication type none."""
    return RMCP + bytes([0x00]) + le32(0) + le32(0) + bytes([len(message)]) + message


def rmcpplus_packet(ptype, sid, seq, payload, encrypted=False, integrity=0, k1=b"", password=b""):
    """Section 13.6, table 13-8, IPMI v2.0/RMCP+ layout with the session trailer of 13.28.4."""
    authenticated = integrity != 0
    tbyte = ptype | (0x80 if encrypted else 0) | (0x40 if authenticated else 0)
    session = bytes([0x06, tbyte]) + le32(sid) + le32(seq) + struct.pack("<H", len(payload)) + payload
    if not authenticated:
        return RMCP + session
    pad = 0
    while (len(session) + pad + 2) % 4:
        pad += 1
    covered = session + b"\xff" * pad + bytes([pad, 0x07])
    return RMCP + covered + auth_code(integrity, k1, password, covered)


def algorithms(auth, integ, conf):
    return (bytes([0, 0, 0, 8, auth, 0, 0, 0]) + bytes([1, 0, 0, 8, integ, 0, 0, 0])
            + bytes([2, 0, 0, 8, conf, 0, 0, 0]))


def cipher_suite_records(ids):
    out = b""
    for sid in ids:
        a, i, c = SUITES.get(sid, (1, 1, 2))  # ids 4, 5 and others: an xRC4 confidentiality (2) stands in
        out += bytes([0xC0, sid, a, 0x40 | i, 0x80 | c])
    return out


def handshake(name, suite, negotiate, offered, privilege, user, password, kg, sidm, sidc, seeds, rm, rc, guid,
              bmc_ivs, console_ivs, auth_caps_data, bridge=None, bridge_mode="routed"):
    """A full client handshake plus one request and Close Session, as (expected client bytes, BMC bytes)."""
    auth, integ, conf = SUITES[suite]
    steps = []
    random_stream = bytes(seeds)
    rqseq = seeds[0] & 0x3F
    tag = seeds[1]

    def client(packet):
        steps.append({"client": hx(packet)})

    def bmc(packet, expect):
        steps.append({"bmc": hx(packet), "expect": expect})

    client(v15_packet(ipmi_request(0x06, 0x38, [0x8E, privilege], rqseq)))
    bmc(v15_packet(ipmi_response(0x06, 0x38, 0x00, auth_caps_data, rqseq)), "send")
    rqseq = (rqseq + 1) & 0x3F
    if negotiate:
        records = cipher_suite_records(offered)
        index = 0
        while True:
            page = records[index * 16:(index + 1) * 16]
            client(v15_packet(ipmi_request(0x06, 0x54, [0x0E, 0x00, 0x80 | index], rqseq)))
            bmc(v15_packet(ipmi_response(0x06, 0x54, 0x00, bytes([0x01]) + page, rqseq)), "send")
            rqseq = (rqseq + 1) & 0x3F
            index += 1
            if len(page) < 16:
                break
    client(RMCP + bytes([0x06, 0x10]) + le32(0) + le32(0) + struct.pack("<H", 32)
           + bytes([tag, privilege, 0, 0]) + le32(sidm) + algorithms(auth, integ, conf))
    # Open Session Response with maximum privilege 0, the quirk of ipmi_sim and many BMCs.
    osr = bytes([tag, 0x00, 0x00, 0x00]) + le32(sidm) + le32(sidc) + algorithms(auth, integ, conf)
    bmc(rmcpplus_packet(0x11, 0, 0, osr), "send")
    random_stream += rm
    role = privilege | 0x10
    client(rmcpplus_packet(0x12, 0, 0, bytes([tag, 0, 0, 0]) + le32(sidc) + rm + bytes([role, 0, 0, len(user)])
                           + user))
    v = rakp_values(auth, password, kg, rm, rc, guid, sidm, sidc, role, user)
    bmc(rmcpplus_packet(0x13, 0, 0, bytes([tag, 0, 0, 0]) + le32(sidm) + rc + guid + v["rakp2"]), "send")
    client(rmcpplus_packet(0x14, 0, 0, bytes([tag, 0, 0, 0]) + le32(sidc) + v["rakp3"]))
    bmc(rmcpplus_packet(0x15, 0, 0, bytes([tag, 0, 0, 0]) + le32(sidm) + v["rakp4"]), "send")

    aes_key = v["k2"][:16]
    console_ivs = list(console_ivs)
    bmc_ivs = list(bmc_ivs)

    def seal_console(message, seq):
        nonlocal random_stream
        if conf:
            iv = console_ivs.pop(0)
            random_stream += iv
            payload = aes_payload(aes_key, iv, message)
        else:
            payload = message
        return rmcpplus_packet(0x00, sidc, seq, payload, bool(conf), integ, v["k1"], password)

    def seal_bmc(message, seq):
        payload = aes_payload(aes_key, bmc_ivs.pop(0), message) if conf else message
        return rmcpplus_packet(0x00, sidm, seq, payload, bool(conf), integ, v["k1"], password)

    client(seal_console(ipmi_request(0x06, 0x3B, [privilege], rqseq), 1))
    bmc(seal_bmc(ipmi_response(0x06, 0x3B, 0x00, [privilege], rqseq), 1), "established")
    rqseq = (rqseq + 1) & 0x3F

    device_id = bytes.fromhex("0003090802 9f 9112 00 02 0f 00 00 00 00".replace(" ", ""))
    if bridge is None:
        client(seal_console(ipmi_request(0x06, 0x01, [], rqseq), 2))
        bmc(seal_bmc(ipmi_response(0x06, 0x01, 0x00, device_id, rqseq), 2), "response")
    else:
        channel, target = bridge
        inner = ipmi_request(0x06, 0x01, [], rqseq, rsaddr=target, rqaddr=0x81)
        client(seal_console(ipmi_request(0x06, 0x34, bytes([0x40 | channel]) + inner, rqseq), 2))
        if bridge_mode == "routed":
            # First the Send Message acknowledgement, then the target's answer routed back with our rqSeq.
            bmc(seal_bmc(ipmi_response(0x06, 0x34, 0x00, [], rqseq), 2), "none")
            bmc(seal_bmc(ipmi_response(0x06, 0x01, 0x00, device_id, rqseq, rsaddr=target), 3), "response")
        elif bridge_mode == "embedded":
            # Some BMCs put the target's answer (an IPMB response message) in the Send Message response data.
            nested = ipmi_response(0x06, 0x01, 0x00, device_id, rqseq, rsaddr=target)
            bmc(seal_bmc(ipmi_response(0x06, 0x34, 0x00, nested, rqseq), 2), "response")
        else:
            # ipmi_sim refuses Send Message with completion code 0x83.
            bmc(seal_bmc(ipmi_response(0x06, 0x34, 0x83, [], rqseq), 2), "response")
            device_id = b""
    rqseq = (rqseq + 1) & 0x3F
    client(seal_console(ipmi_request(0x06, 0x3C, le32(sidc), rqseq), 3))
    bmc(seal_bmc(ipmi_response(0x06, 0x3C, 0x00, [], rqseq), 9), "response")
    return {
        "name": name,
        "suite": suite,
        "negotiate": negotiate,
        "username": user.decode(),
        "password": hx(password),
        "kg": hx(kg) if kg else None,
        "privilege": privilege,
        "consoleSessionID": sidm,
        "managedSessionID": sidc,
        "bridge": list(bridge) if bridge else None,
        "random": hx(random_stream),
        "deviceID": hx(device_id),
        "completionCode": 0x83 if bridge is not None and bridge_mode == "error" else 0,
        "steps": steps,
    }


def main():
    rm = bytes.fromhex("31ea1ce4ada3a5f747676402c59ccf70")
    rc = bytes.fromhex("8f0a4c1d22e35b6079a8c6d1e0f21344")
    guid = bytes.fromhex("a123456789abcdefa123456789abcdef")
    sidm, sidc = 0xA0A2A3A4, 0x00000002
    password = b"secret"
    user = b"admin"
    kg = bytes.fromhex("0102030405060708090a0b0c0d0e0f1011121314")

    rakp = []
    for auth in (1, 2, 3):
        for with_kg in (False, True):
            for role, name in ((0x14, user), (0x04, b""), (0x13, b"sixteen-bytes-16")):
                values = rakp_values(auth, password, kg if with_kg else None, rm, rc, guid, sidm, sidc, role, name)
                rakp.append({
                    "authentication": auth, "password": hx(password), "kg": hx(kg) if with_kg else None,
                    "rm": hx(rm), "rc": hx(rc), "guid": hx(guid), "sidm": sidm, "sidc": sidc, "role": role,
                    "username": hx(name), **{k: hx(x) for k, x in values.items()},
                })

    integrity = []
    data = bytes.fromhex("06c0a4a3a2a001000000200081b04c2081040148ffff0207")
    for integ, k1_auth in ((1, 1), (2, 2), (3, 2), (4, 3)):
        k1 = rakp_values(k1_auth, password, None, rm, rc, guid, sidm, sidc, 0x14, user)["k1"]
        for pw in (password, b"", b"twenty-byte-password"):
            integrity.append({"integrity": integ, "k1": hx(k1), "password": hx(pw), "data": hx(data),
                              "authCode": hx(auth_code(integ, k1, pw, data))})

    aes = []
    key = bytes.fromhex("00112233445566778899aabbccddeeff")
    iv = bytes.fromhex("f0e1d2c3b4a5968778695a4b3c2d1e0f")
    for length in (0, 1, 7, 14, 15, 16, 17, 31, 32, 40):
        payload = bytes((i * 7 + 3) & 0xFF for i in range(length))
        aes.append({"key": hx(key), "iv": hx(iv), "payload": hx(payload),
                    "plaintextWithTrailer": hx(confidentiality_trailer(payload)),
                    "encrypted": hx(aes_payload(key, iv, payload))})

    auth_caps = bytes.fromhex("0197060300000000")
    console_ivs = [bytes([0x10 + n] * 16) for n in range(8)]
    bmc_ivs = [bytes([0x80 + n] * 16) for n in range(8)]
    handshakes = []
    for suite in (1, 2, 3, 6, 7, 8, 11, 12, 15, 16, 17):
        handshakes.append(handshake(
            f"suite {suite}", suite, False, [], 4, user, password, None, sidm, sidc, [0x05, 0x3C], rm, rc, guid,
            bmc_ivs, console_ivs, auth_caps))
    handshakes.append(handshake(
        "suite 0 allowed", 0, False, [], 4, user, password, None, sidm, sidc, [0x05, 0x3C], rm, rc, guid, bmc_ivs,
        console_ivs, auth_caps))
    handshakes.append(handshake(
        "negotiated 3 from ipmi_sim's list", 3, True, list(range(0, 15)), 4, user, password, None, sidm, sidc,
        [0x3F, 0x77], rm, rc, guid, bmc_ivs, console_ivs, auth_caps))
    handshakes.append(handshake(
        "negotiated 17", 17, True, [0, 1, 2, 3, 17, 16, 15], 4, user, password, None, sidm, sidc, [0x12, 0x01], rm,
        rc, guid, bmc_ivs, console_ivs, auth_caps))
    handshakes.append(handshake(
        "suite 17 with K_g, operator, empty user", 17, False, [], 3, b"", password, kg, 0x11223344, 0x55667788,
        [0x20, 0xFE], rm, rc, guid, bmc_ivs, console_ivs, auth_caps))
    handshakes.append(handshake(
        "suite 3 bridged to channel 0 target 0x72", 3, False, [], 4, user, password, None, sidm, sidc, [0x05, 0x3C],
        rm, rc, guid, bmc_ivs, console_ivs, auth_caps, bridge=(0, 0x72)))
    handshakes.append(handshake(
        "suite 17 bridged, answer embedded in Send Message", 17, False, [], 4, user, password, None, sidm, sidc,
        [0x05, 0x3C], rm, rc, guid, bmc_ivs, console_ivs, auth_caps, bridge=(6, 0x30), bridge_mode="embedded"))
    handshakes.append(handshake(
        "suite 1 bridged, Send Message refused with 0x83", 1, False, [], 4, user, password, None, sidm, sidc,
        [0x05, 0x3C], rm, rc, guid, bmc_ivs, console_ivs, auth_caps, bridge=(0, 0x30), bridge_mode="error"))

    print(json.dumps({"rakp": rakp, "integrity": integrity, "aes": aes, "handshakes": handshakes}, indent=1))


if __name__ == "__main__":
    main()
