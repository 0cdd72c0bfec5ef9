/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the certificate and key material a peer sends:
 * X.509 parsing and every accessor, the role-specific chain check (with the
 * input as the leaf, and as the EUM of the genuine SGP.26 eUICC certificate
 * so that nameConstraints parsing sees fuzzed bytes), public key points
 * (ECKA and ECDSA), and DER <-> r || s signatures.
 *
 * Seeds in tests/fuzz/corpus/crypto-cert/: the SGP.26 test certificates,
 * certificates from the test PKI, points and signatures.
 */

#include <string.h>

#include "esim-cert.h"
#include "esim-ecdsa.h"
#include "esim-ecka.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

/* SGP.26 CERT_CI_ECDSA_NIST and CERT_EUICC_ECDSA_NIST (tests/crypto/data/sgp26/) */
static const gchar ci_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIICVjCCAfugAwIBAgIJALh086v6bETTMAoGCCqGSM49BAMCMEkxFTATBgNVBAMM\n"
	"DEdTTUEgVGVzdCBDSTERMA8GA1UECwwIVEVTVENFUlQxEDAOBgNVBAoMB1JTUFRF\n"
	"U1QxCzAJBgNVBAYTAklUMCAXDTE3MDIwMTE1Mzk0MloYDzIwNTIwMjAxMTUzOTQy\n"
	"WjBJMRUwEwYDVQQDDAxHU01BIFRlc3QgQ0kxETAPBgNVBAsMCFRFU1RDRVJUMRAw\n"
	"DgYDVQQKDAdSU1BURVNUMQswCQYDVQQGEwJJVDBZMBMGByqGSM49AgEGCCqGSM49\n"
	"AwEHA0IABJQGV6Zz3CiPidUuqKR3BJknkfnDSwA25jPi0MupRU1l2zLrF5gXmdLy\n"
	"Q4juK5XBCUVGyXkBzq66llCRmi4g0imjgckwgcYwHQYDVR0OBBYEFPVBcr35ipXW\n"
	"XL64ijihwR2ACoXDMA8GA1UdEwEB/wQFMAMBAf8wFwYDVR0gAQH/BA0wCzAJBgdn\n"
	"gRIBAgEAMA4GA1UdDwEB/wQEAwIBBjAOBgNVHREEBzAFiAOINwEwWwYDVR0fBFQw\n"
	"UjAnoCWgI4YhaHR0cDovL2NpLnRlc3QuZ3NtYS5jb20vQ1JMLUEuY3JsMCegJaAj\n"
	"hiFodHRwOi8vY2kudGVzdC5nc21hLmNvbS9DUkwtQi5jcmwwCgYIKoZIzj0EAwID\n"
	"SQAwRgIhAJHyUclxU7nPhTeadItXKkloUkVWxH8z62l7VZEswPLSAiEA3OSec/NJ\n"
	"7NBZEO+d9raahnq/OJ3Ia4QRtN/hlpFQ9fk=\n"
	"-----END CERTIFICATE-----\n";
static const gchar euicc_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIB/jCCAaWgAwIBAgIJAgAAAAAAAAABMAoGCCqGSM49BAMCMDcxCzAJBgNVBAYT\n"
	"AkRFMRUwEwYDVQQKDAxSU1AgVGVzdCBFVU0xETAPBgNVBAMMCEVVTSBUZXN0MCAX\n"
	"DTE3MDEwOTE0MzkwM1oYDzc0OTIxMTAyMTQzOTAzWjBkMQswCQYDVQQGEwJERTEV\n"
	"MBMGA1UECgwMUlNQIFRlc3QgRVVNMSkwJwYDVQQFEyA4OTA0OTAzMjEyMzQ1MTIz\n"
	"NDUxMjM0NTY3ODkwMTIzNTETMBEGA1UEAwwKVGVzdCBlVUlDQzBZMBMGByqGSM49\n"
	"AgEGCCqGSM49AwEHA0IABG2z9Trch9wv8Qx7/Nh60TrpcAmvoGWmdX7lcbPy67GP\n"
	"RsHWjz7esOdLLl1UIFHn0n9QlSAoYFr973n+n//QOVmjazBpMB8GA1UdIwQYMBaA\n"
	"FN09ok01DBzF0K8JZfQOw0xe5AnxMB0GA1UdDgQWBBSlJHavXVCqN2Q3zLHaIXLv\n"
	"RfSE8DAOBgNVHQ8BAf8EBAMCB4AwFwYDVR0gAQH/BA0wCzAJBgdngRIBAgEBMAoG\n"
	"CCqGSM49BAMCA0cAMEQCIF7a6eO5J4o2EmXcvROjv0jXrsQ9KQUSW/rKL0zzp+ZU\n"
	"AiAIn5VruYlZZXfsmG33r2bypEYl84V3TFZlB/byzXLgLA==\n"
	"-----END CERTIFICATE-----\n";

static EsimCert *ci;
static EsimCert *euicc;
static GPtrArray *cis;
static EsimEckaKey *ecka;

static void
fuzz_cert (const guint8 *data, gsize size)
{
	g_autoptr(EsimCert) cert = esim_cert_new_from_data (data, size, NULL);
	g_autofree gchar *serial = NULL;
	g_autofree gchar *rid = NULL;
	g_autofree gchar *dn = NULL;
	guint8 point[65];
	const guint8 msg[] = "x";
	guint8 sig[64] = { 1 };

	if (cert == NULL)
		return;
	serial = esim_cert_dup_subject_serial_number (cert);
	rid = esim_cert_dup_registered_id (cert);
	dn = esim_cert_dup_subject_dn (cert);
	(void) esim_cert_has_policy (cert, "2.23.146.1.2.1.4");
	(void) esim_cert_get_public_point (cert, point, NULL);
	(void) esim_cert_verify_signature (cert, msg, sizeof (msg), sig, sizeof (sig), NULL);
	(void) esim_cert_check_issued_by (cert, ci, NULL);
	for (guint role = ESIM_CERT_ROLE_CI; role <= ESIM_CERT_ROLE_DS_AUTH; role++) {
		(void) esim_cert_check_role (cert, role, NULL);
		if (role != ESIM_CERT_ROLE_EUICC)
			(void) esim_cert_verify_chain (cert, role, NULL, cis, NULL, ESIM_CERT_TIME_NOW, NULL, NULL);
	}
	/* the input as the EUM of a genuine eUICC certificate */
	(void) esim_cert_verify_chain (euicc, ESIM_CERT_ROLE_EUICC, cert, cis, NULL, ESIM_CERT_TIME_IGNORE, NULL, NULL);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
	g_autofree guint8 *copy = g_memdup2 (data, size);
	g_autoptr(GBytes) der = NULL;
	guint8 raw[64];
	guint8 secret[32];

	if (ci == NULL) {
		ci = esim_cert_new_from_data ((const guint8 *) ci_pem, sizeof (ci_pem) - 1, NULL);
		euicc = esim_cert_new_from_data ((const guint8 *) euicc_pem, sizeof (euicc_pem) - 1, NULL);
		g_assert (ci != NULL && euicc != NULL);
		cis = g_ptr_array_new ();
		g_ptr_array_add (cis, ci);
		ecka = esim_ecka_key_generate (NULL);
		g_assert (ecka != NULL);
	}
	fuzz_cert (copy, size);
	if (esim_p256_point_check (copy, size, NULL)) {
		g_assert (esim_ecka_shared_secret (ecka, copy, size, secret, NULL));
	} else {
		g_assert (!esim_ecka_shared_secret (ecka, copy, size, secret, NULL));
	}
	(void) esim_ecdsa_verify_point (copy, size, copy, size, copy, size, NULL);
	if (esim_ecdsa_der_to_raw (copy, size, raw, NULL)) {
		/* strict DER: converting back gives the same bytes */
		der = esim_ecdsa_raw_to_der (raw, sizeof (raw), NULL);
		g_assert (der != NULL && g_bytes_get_size (der) == size && memcmp (g_bytes_get_data (der, NULL), copy, size) == 0);
	}
	g_clear_pointer (&der, g_bytes_unref);
	der = esim_ecdsa_raw_to_der (copy, size, NULL);
	return 0;
}
