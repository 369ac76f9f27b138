package slsa

// GCBBuilder is Google Cloud Build's builder id.
const GCBBuilder = "https://cloudbuild.googleapis.com/GoogleHostedWorker"

// VerifyGCBImage verifies Google Cloud Build provenance for an image.
func VerifyGCBImage(cfg ImageConfig) (*Result, error) {
	return nil, ErrVerifierNotSupported
}
