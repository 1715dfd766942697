"""A software WebAuthn authenticator for integration tests: makes passkeys (ES256, "none" attestation) and signs
sign-in challenges the way a browser's authenticator does, so the portal's real verification runs. The browser
tests use Chromium's virtual authenticator instead (e2e/test_passkeys.py)."""

from __future__ import annotations

import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import bytes_to_base64url, encode_cbor


def _b64(data: bytes) -> str:
    return bytes_to_base64url(data)


@dataclass
class SoftAuthenticator:
    rp_id: str = "testserver"
    origin: str = "http://testserver"
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    credential_id: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    sign_count: int = 0

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": False}).encode()

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return encode_cbor({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def register(self, options_json: str) -> str:
        """The browser's answer to creation options (JSON text, as navigator.credentials.create gives it)."""
        options = json.loads(options_json)
        client_data = self._client_data("webauthn.create", options["challenge"])
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + self._cose_key()
        auth_data = hashlib.sha256(options["rp"]["id"].encode()).digest() + bytes([0x45]) \
            + struct.pack(">I", self.sign_count) + attested
        attestation = encode_cbor({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return json.dumps({"id": _b64(self.credential_id), "rawId": _b64(self.credential_id), "type": "public-key",
                           "response": {"clientDataJSON": _b64(client_data), "attestationObject": _b64(attestation)},
                           "clientExtensionResults": {}})

    def sign_in(self, options_json: str) -> str:
        """The browser's answer to request options: a signature of the challenge by this passkey."""
        options = json.loads(options_json)
        self.sign_count += 1
        client_data = self._client_data("webauthn.get", options["challenge"])
        auth_data = hashlib.sha256(options["rpId"].encode()).digest() + bytes([0x05]) + struct.pack(">I", self.sign_count)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return json.dumps({"id": _b64(self.credential_id), "rawId": _b64(self.credential_id), "type": "public-key",
                           "response": {"clientDataJSON": _b64(client_data), "authenticatorData": _b64(auth_data),
                                        "signature": _b64(signature), "userHandle": None},
                           "clientExtensionResults": {}})
