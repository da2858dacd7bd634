#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Mint JWTs with PyJWT, an independent implementation, for tests/unit/test_token.c.

Usage: test_jwt_interop.py SECRET_HEX ISSUER AUDIENCE NOW ACCESS_TTL REFRESH_TTL
       test_jwt_interop.py --verify SECRET_HEX ISSUER AUDIENCE NOW TOKEN

Prints a JSON list of cases {"name", "token", "typ" ("access"|"refresh"), "expect_ok"}
that the C test checks one by one with tok_verify. The valid cases prove that
tokens made elsewhere with the same secret verify; the others are the attacks
and mistakes a verifier must refuse. The subject is "alice" with role "admin"
and token version 3, which the C test's user check accepts (any other version
is refused). Exits non-zero when PyJWT is missing, so the C test fails.

With --verify it checks a token the other way round: PyJWT verifies one that
tok_issue made (HS256 only, iss, aud, exp, nbf, iat at NOW) and prints its
header and claims as JSON, or exits 1 with PyJWT's complaint.
"""
import base64
import hashlib
import hmac
import json
import sys
import uuid

import jwt  # python3-jwt; a missing module must fail the test, not skip it

from cryptography.hazmat.primitives.asymmetric import rsa


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def raw(header, payload, key, alg="sha256"):
    """Sign hand-written JSON text (so duplicates and odd types survive) with HMAC."""
    signing = b64(header.encode()) + "." + b64(payload.encode())
    mac = hmac.new(key, signing.encode(), getattr(hashlib, alg)).digest()
    return signing + "." + b64(mac)


def verify(argv):
    key = bytes.fromhex(argv[0])
    iss, aud, now, token = argv[1], argv[2], int(argv[3]), argv[4]
    try:
        claims = jwt.decode(token, key, algorithms=["HS256"], audience=aud, issuer=iss,
                            leeway=0, options={"require": ["exp", "iat", "nbf", "iss", "aud"],
                                               "verify_exp": False, "verify_nbf": False,
                                               "verify_iat": False})
    except jwt.PyJWTError as e:
        sys.exit("PyJWT refused the token: %s" % e)
    # PyJWT checks times against the wall clock; check them against NOW here.
    if not claims["nbf"] <= now < claims["exp"] or claims["iat"] > now:
        sys.exit("PyJWT: token not valid at %d" % now)
    json.dump({"header": jwt.get_unverified_header(token), "claims": claims}, sys.stdout)
    print()


def main():
    if len(sys.argv) == 7 and sys.argv[1] == "--verify":
        return verify(sys.argv[2:])
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    key = bytes.fromhex(sys.argv[1])
    iss, aud = sys.argv[2], sys.argv[3]
    now, attl, rttl = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    cases = []

    def claims(kind="access", **over):
        c = {
            "iss": iss,
            "aud": aud,
            "sub": "alice",
            "role": "admin",
            "typ": kind,
            "jti": str(uuid.uuid4()),
            "fam": str(uuid.uuid4()),
            "iat": now,
            "nbf": now,
            "exp": now + (attl if kind == "access" else rttl),
            "ver": 3,
        }
        for k, v in over.items():
            if v is None:
                c.pop(k, None)
            else:
                c[k] = v
        return c

    def add(name, token, ok, typ="access", why=None):
        case = {"name": name, "token": token, "typ": typ, "expect_ok": ok}
        if why:
            case["why"] = why  # a part of tok_verify's reason: refused for the right cause
        cases.append(case)

    def hs(c, alg="HS256", headers=None, k=key):
        return jwt.encode(c, k, algorithm=alg, headers=headers)

    # Tokens a correct issuer makes: accepted.
    add("pyjwt access", hs(claims()), True)
    add("pyjwt refresh", hs(claims("refresh")), True, "refresh")
    add("pyjwt access at the edge of the leeway", hs(claims(iat=now + 20, nbf=now + 20,
                                                            exp=now + 20 + attl)), True)
    add("pyjwt access expired less than the leeway ago",
        hs(claims(iat=now - 10 - attl, nbf=now - 10 - attl, exp=now - 10)), True)

    # Algorithm confusion.
    add("alg none (PyJWT)", jwt.encode(claims(), None, algorithm="none"), False, why="alg")
    for alg in ("none", "None", "NONE", "nOnE"):
        h = json.dumps({"alg": alg, "typ": "JWT"})
        t = raw(h, json.dumps(claims()), key)
        add("alg %s with an HS256 signature" % alg, t, False, why="alg")
        add("alg %s with no signature" % alg, t.rsplit(".", 1)[0] + ".", False, why="alg")
    add("alg HS384 with the right secret", hs(claims(), "HS384"), False, why="alg")
    add("alg HS512 with the right secret", hs(claims(), "HS512"), False, why="alg")
    add("alg hs256 lowercase", raw('{"alg":"hs256","typ":"JWT"}', json.dumps(claims()), key),
        False, why="alg")
    add("alg missing", raw('{"typ":"JWT"}', json.dumps(claims()), key), False, why="alg")
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    add("alg RS256", jwt.encode(claims(), rsa_key, algorithm="RS256"), False, why="alg")
    add("alg RS256 header over an HMAC", raw('{"alg":"RS256","typ":"JWT"}',
                                             json.dumps(claims()), key), False, why="alg")
    add("header kid", hs(claims(), headers={"kid": "k1"}), False, why="header")
    add("header jku", hs(claims(), headers={"jku": "http://127.0.0.1/keys"}), False,
        why="header")
    add("header typ at+jwt", hs(claims(), headers={"typ": "at+jwt"}), False, why="typ")
    add("header crit", raw('{"alg":"HS256","crit":["exp"],"exp":1}', json.dumps(claims()),
                           key), False, why="header")
    add("header duplicate alg", raw('{"alg":"none","alg":"HS256"}', json.dumps(claims()),
                                    key), False, why="header")

    # Signature.
    add("wrong secret", hs(claims(), k=key[:-1] + bytes([key[-1] ^ 1])), False, why="signature")
    good = hs(claims())
    h, p, s = good.split(".")
    add("tampered payload", h + "." + b64(json.dumps(claims(role="viewer")).encode()) + "." + s,
        False, why="signature")
    flipped = s[:10] + ("A" if s[10] != "A" else "B") + s[11:]
    add("tampered signature", h + "." + p + "." + flipped, False, why="signature")
    add("empty signature", h + "." + p + ".", False, why="signature")
    add("signature of 384 bits", h + "." + p + "." + s + s[:21], False, why="signature")

    # Claims.
    add("wrong iss", hs(claims(iss=iss + "x")), False, why="issuer")
    add("wrong aud", hs(claims(aud=aud + "x")), False, why="audience")
    add("aud as a list", hs(claims(aud=[aud])), False, why="string")
    add("expired", hs(claims(iat=now - attl - 100, nbf=now - attl - 100, exp=now - 100)),
        False, why="expired")
    add("nbf in the future", hs(claims(nbf=now + 3600)), False, why="nbf")
    add("iat in the future", hs(claims(iat=now + 3600, nbf=now, exp=now + 3600)), False,
        why="iat")
    add("iat older than the ttl", hs(claims(iat=now - attl - 100, nbf=now - attl - 100,
                                            exp=now + 100)), False, why="longer ago")
    add("lifetime longer than the ttl", hs(claims(exp=now + attl + 3600)), False,
        why="lifetime")
    add("refresh used as access", hs(claims("refresh")), False, "access", why="type")
    add("access used as refresh", hs(claims("access")), False, "refresh", why="type")
    add("typ unknown", hs(claims(typ="id")), False, why="type")
    for k in ("iss", "aud", "sub", "role", "typ", "jti", "fam", "iat", "nbf", "exp", "ver"):
        add("missing " + k, hs(claims(**{k: None})), False, why="missing")
    add("extra claim", hs(claims(admin=True)), False, why="unexpected claim")
    add("exp as float", raw('{"alg":"HS256","typ":"JWT"}',
                            json.dumps(claims()).replace('"exp": %d' % (now + attl),
                                                         '"exp": %d.0' % (now + attl)), key),
        False, why="integer")
    add("exp as string", hs(claims(exp=str(now + attl))), False, why="integer")
    add("exp negative", hs(claims(exp=-1)), False, why="range")
    add("exp huge", hs(claims(exp=2**62)), False, why="range")
    add("ver as bool", hs(claims(ver=True)), False, why="integer")
    add("ver outdated", hs(claims(ver=2)), False, why="version")
    add("sub not a string", hs(claims(sub=7)), False, why="string")
    add("sub with a space", hs(claims(sub="alice bob")), False, why="sub")
    add("role uppercase", hs(claims(role="ADMIN")), False, why="role")
    add("jti not a uuid", hs(claims(jti="1")), False, why="jti")
    add("jti uppercase", hs(claims(jti=str(uuid.uuid4()).upper())), False, why="jti")
    add("jti uuid1", hs(claims(jti=str(uuid.uuid1()))), False, why="jti")
    dup = json.dumps(claims())[:-1] + ', "role": "viewer"}'
    add("duplicate claim", raw('{"alg":"HS256","typ":"JWT"}', dup, key), False, why="payload")
    add("payload a JSON array", raw('{"alg":"HS256","typ":"JWT"}', "[1]", key), False,
        why="payload")
    add("payload with NUL escape", raw('{"alg":"HS256","typ":"JWT"}',
                                       json.dumps(claims(sub="alice\u0000x")), key), False,
        why="payload")

    # Framing.
    add("two segments", h + "." + p, False, why="segments")
    add("four segments", good + "." + s, False, why="segments")
    add("padding in the payload", h + "." + p + "=" * (-len(p) % 4 or 4) + "." + s, False)
    add("padding after the signature", good + "=", False)
    add("standard base64 alphabet", good.replace("-", "+").replace("_", "/")
        if ("-" in good or "_" in good) else good + "+", False)
    add("whitespace", " " + good, False)
    add("newline inside", h + ".\n" + p + "." + s, False)
    big = claims()
    big["sub"] = "a" * 4000
    add("oversized token", hs(big), False, why="too long")

    json.dump(cases, sys.stdout)
    print()


if __name__ == "__main__":
    main()
