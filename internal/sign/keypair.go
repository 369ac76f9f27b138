package sign

// KeyPair is a new key pair as the files consign (and cosign) keep it.
type KeyPair struct {
	// Private is the private key: cosign's encrypted format, or with no
	// password plain PKCS #8 PEM.
	Private []byte
	// Public is the public key as PKIX PEM.
	Public []byte
	// KeyID is the key's id: hex SHA-256 of its DER SubjectPublicKeyInfo.
	KeyID     string
	Algorithm string
}

// NewKeyPair makes a key of algorithm alg ([Generate]) and encodes it:
// encrypted with the password pass gives (asked once the key is made, with
// confirm true), or, when pass is nil, unencrypted, which only throw-away
// keys should be. It returns [Generate]'s errors and pass's.
func NewKeyPair(alg string, pass PassFunc) (*KeyPair, error) {
	key, err := Generate(alg)
	if err != nil {
		return nil, err
	}
	var priv []byte
	if pass == nil {
		priv, err = MarshalPrivateKeyUnencryptedUnsafe(key)
	} else {
		var pw []byte
		if pw, err = pass(true); err != nil {
			return nil, err
		}
		priv, err = MarshalPrivateKey(key, pw)
	}
	if err != nil {
		return nil, err
	}
	pub, err := MarshalPublicKey(key.Public())
	if err != nil {
		return nil, err
	}
	id, err := KeyID(key.Public())
	if err != nil {
		return nil, err
	}
	return &KeyPair{Private: priv, Public: pub, KeyID: id, Algorithm: Algorithm(key.Public())}, nil
}
