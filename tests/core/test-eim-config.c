/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * EimConfigurationData from fields (esim_es10_encode_eim_config) against V16
 * and V17 (onomondo-ipa's sample file, onomondo-eim's addEim example), the
 * key alternatives both ways (digest §4 and its "Fourth pass" interop notes),
 * round trips through the parser, and what a user can get wrong.
 */

#include <gio/gio.h>
#include <string.h>

#include "esim-es10.h"
#include "test-esipa-vectors.h"

static GBytes *
sgp26_tls_certificate_pem (void)
{
	g_autofree gchar *path = g_test_build_filename (G_TEST_DIST, "crypto", "data", "sgp26",
	                                                "CERT_S_SM_DP_TLS_NIST.pem", NULL);
	g_autoptr(GError) error = NULL;
	gchar *text = NULL;
	gsize len = 0;

	g_assert_true (g_file_get_contents (path, &text, &len, &error));
	g_assert_no_error (error);
	return g_bytes_new_take (text, len);
}

static GBytes *
pem_to_der (GBytes *pem)
{
	g_autoptr(GTlsCertificate) cert = NULL;
	g_autoptr(GByteArray) der = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = g_strndup (g_bytes_get_data (pem, NULL), g_bytes_get_size (pem));

	cert = g_tls_certificate_new_from_pem (text, -1, &error);
	g_assert_no_error (error);
	g_object_get (cert, "certificate", &der, NULL);
	return g_bytes_new (der->data, der->len);
}

static void
test_v17_from_fields (void)
{
	g_autoptr(GBytes) der_key = hex_bytes (V17_SPKI);
	g_autoptr(GBytes) pem_key = g_bytes_new_static (V17_SPKI_PEM, strlen (V17_SPKI_PEM));
	EsimEimConfigInput input = {
		.eim_id = "eIM2", .fqdn = "127.0.0.1:8000", .id_type = -1, .counter_value = 1,
		.has_association_token = TRUE, .association_token = -1, .public_key = der_key,
	};
	g_autoptr(GBytes) from_der = NULL;
	g_autoptr(GBytes) from_pem = NULL;
	g_autoptr(GError) error = NULL;

	/* 84 01 FF is the INTEGER -1; the key goes in as A5 { A0 <SPKI contents> } */
	from_der = esim_es10_encode_eim_config (&input, &error);
	g_assert_no_error (error);
	assert_bytes_hex (from_der, V17_EIM_CONFIG);
	input.public_key = pem_key;
	from_pem = esim_es10_encode_eim_config (&input, &error);
	g_assert_no_error (error);
	assert_bytes_hex (from_pem, V17_EIM_CONFIG);
}

static void
test_v16_add_initial_eim_from_fields (void)
{
	g_autoptr(GBytes) key = g_bytes_new_static (V17_SPKI_PEM, strlen (V17_SPKI_PEM));
	EsimEimConfigInput input = {
		.eim_id = "eIM", .fqdn = "127.0.0.1:8000", .id_type = -1, .counter_value = 1,
		.has_association_token = TRUE, .association_token = -1, .public_key = key,
	};
	g_autoptr(GBytes) config = NULL;
	g_autoptr(GBytes) request = NULL;
	g_autoptr(GError) error = NULL;

	config = esim_es10_encode_eim_config (&input, &error);
	g_assert_no_error (error);
	request = esim_es10_encode_add_initial_eim (config, &error);
	g_assert_no_error (error);
	assert_bytes_hex (request, V16_ADD_INITIAL_EIM);
}

/* All fields, a real certificate for TLS trust, and back through the parser. */
static void
test_round_trip_certificate_arm (void)
{
	g_autoptr(GBytes) key = hex_bytes (V17_SPKI);
	g_autoptr(GBytes) cert_pem = sgp26_tls_certificate_pem ();
	g_autoptr(GBytes) cert_der = pem_to_der (cert_pem);
	EsimEimConfigInput input = {
		.eim_id = "eim.example.com", .fqdn = "eim.example.com:8443", .id_type = 2,
		.counter_value = 300, .has_association_token = TRUE, .association_token = 7,
		.public_key = key, .trusted_tls = cert_pem,
		.supported_protocols = ESIM_EIM_PROTOCOL_RETRIEVE_HTTPS | ESIM_EIM_PROTOCOL_INJECT_HTTPS,
		.euicc_ci_pkid = "81370f5125d0b1d408d4c3b232e6d25e795bebfb",
		.indirect_profile_download = TRUE,
	};
	g_autoptr(GBytes) encoded = NULL;
	g_autoptr(EsimEimConfig) config = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *cert_hex = esim_hex_encode_bytes (cert_der);
	g_autofree gchar *a1 = NULL;
	g_autofree gchar *a6 = NULL;
	EsimTlv cert_tlv;

	encoded = esim_es10_encode_eim_config (&input, &error);
	g_assert_no_error (error);
	/* A6 { A1 <the certificate's contents> }: A1 replaces the certificate's 30 */
	g_assert_true (esim_tlv_parse_exact (g_bytes_get_data (cert_der, NULL),
	                                     g_bytes_get_size (cert_der), &cert_tlv, NULL));
	a1 = tlv_hex (0xA1, cert_hex + 2 * (cert_tlv.raw_len - cert_tlv.len));
	a6 = tlv_hex (0xA6, a1);
	{
		g_autofree gchar *encoded_hex = esim_hex_encode_bytes (encoded);

		g_assert_nonnull (strstr (encoded_hex, a6));
	}

	config = esim_es10_parse_eim_config (g_bytes_get_data (encoded, NULL),
	                                     g_bytes_get_size (encoded), &error);
	g_assert_no_error (error);
	g_assert_cmpstr (config->eim_id, ==, "eim.example.com");
	g_assert_cmpstr (config->fqdn, ==, "eim.example.com:8443");
	g_assert_cmpint (config->id_type, ==, 2);
	g_assert_cmpint (config->counter_value, ==, 300);
	g_assert_true (config->has_association_token);
	g_assert_cmpint (config->association_token, ==, 7);
	g_assert_cmpuint (config->supported_protocols, ==,
	                  ESIM_EIM_PROTOCOL_RETRIEVE_HTTPS | ESIM_EIM_PROTOCOL_INJECT_HTTPS);
	g_assert_cmpstr (config->euicc_ci_pkid, ==, "81370F5125D0B1D408D4C3B232E6D25E795BEBFB");
	g_assert_true (config->indirect_profile_download);
	g_assert_cmpint (config->public_key_kind, ==, ESIM_EIM_KEY_PUBLIC_KEY);
	g_assert_true (g_bytes_equal (config->public_key, key));
	g_assert_cmpint (config->trusted_tls_kind, ==, ESIM_EIM_KEY_CERTIFICATE);
	g_assert_true (g_bytes_equal (config->trusted_tls, cert_der));
	g_assert_true (g_bytes_equal (config->raw, encoded));
}

/* The interop notes: the alternative's tag is on the wire (A5 { A0 … } /
 * A5 { A1 … }); a bare 30 under A5 was refused by a vendor, and an
 * alternative wrapping a whole SEQUENCE is not what AUTOMATIC TAGS gives. */
static void
test_parse_key_alternatives (void)
{
	static const struct {
		const gchar *a5;
		gboolean     ok;
	} cases[] = {
		{ "A50BA009300306012A03020004", TRUE },         /* digest §4's asn1c toy key */
		{ "A509A10730003000030100", TRUE },             /* a certificate's three members */
		{ "A5093007300306012A030100", FALSE },          /* a bare SPKI under A5 */
		{ "A50DA00B3009300306012A03020004", FALSE },    /* A0 wrapping a whole SPKI */
		{ "A50BA209300306012A03020004", FALSE },        /* no alternative [2] */
		{ "A514A009300306012A03020004A10730003000030100", FALSE }, /* two alternatives */
		{ "A500", FALSE },                              /* empty */
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree gchar *inner = g_strconcat ("800161", cases[i].a5, NULL);
		g_autofree gchar *hex = tlv_hex (0x30, inner);
		g_autoptr(GBytes) der = hex_bytes (hex);
		g_autoptr(EsimEimConfig) config = NULL;
		g_autoptr(GError) error = NULL;

		g_test_message ("eimPublicKeyData %s", cases[i].a5);
		config = esim_es10_parse_eim_config (g_bytes_get_data (der, NULL),
		                                     g_bytes_get_size (der), &error);
		if (cases[i].ok) {
			g_assert_no_error (error);
			g_assert_cmpint (config->public_key_kind, !=, ESIM_EIM_KEY_NONE);
		} else {
			g_assert_nonnull (error);
			g_assert_true (error->domain == ESIM_DER_ERROR);
			g_assert_true (g_str_has_prefix (error->message, "EimConfigurationData: A5: "));
			g_assert_null (config);
		}
	}
}

static void
test_bad_fields (void)
{
	g_autoptr(GBytes) good_key = hex_bytes (V17_SPKI);
	g_autoptr(GBytes) junk = hex_bytes ("0102030405");
	static const gchar private_key[] = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n"
	                                   "-----END EC PRIVATE KEY-----\n";
	static const gchar two_keys[] = V17_SPKI_PEM V17_SPKI_PEM;
	/* an SPKI under the label of a certificate */
	static const gchar relabelled[] =
		"-----BEGIN CERTIFICATE-----\n"
		"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE/lhKb0UEWVdK7KGV0CmXN/dMibot\n"
		"Nt+Shuwl2XMDeg+6cNFN8+H30KMF5XuVtzHE3iGNLX+fIhE+1dGMLj3fHA==\n"
		"-----END CERTIFICATE-----\n";
	static const gchar unterminated_key[] = "-----BEGIN PUBLIC KEY-----\nMFkw\n";
	g_autoptr(GBytes) private_pem = g_bytes_new_static (private_key, strlen (private_key));
	g_autoptr(GBytes) two_pem = g_bytes_new_static (two_keys, strlen (two_keys));
	g_autoptr(GBytes) mislabelled = g_bytes_new_static (relabelled, strlen (relabelled));
	g_autoptr(GBytes) unterminated = g_bytes_new_static (unterminated_key,
	                                                     strlen (unterminated_key));
	g_autofree gchar *long_id = g_strnfill (129, 'e');
	const EsimEimConfigInput good = { .eim_id = "eIM", .id_type = -1, .counter_value = -1 };
	struct {
		const gchar *name;
		EsimEimConfigInput input;
	} cases[] = {
		{ "eimId", good }, { "eimId", good }, { "eimFqdn", good }, { "eimFqdn", good },
		{ "eimIdType", good }, { "counterValue", good }, { "eimPublicKeyData", good },
		{ "eimPublicKeyData", good }, { "trustedPublicKeyDataTls", good },
		{ "eimPublicKeyData", good }, { "eimPublicKeyData", good }, { "euiccCiPKId", good },
		{ "eimSupportedProtocol", good },
	};

	cases[0].input.eim_id = "";
	cases[1].input.eim_id = long_id;
	cases[2].input.fqdn = "eim example";
	cases[3].input.fqdn = "eim.example:99999";
	cases[4].input.id_type = 4;
	cases[5].input.counter_value = -2;
	cases[6].input.public_key = junk;
	cases[7].input.public_key = private_pem;
	cases[8].input.trusted_tls = two_pem;
	cases[9].input.public_key = mislabelled;
	cases[10].input.public_key = unterminated;
	cases[11].input.euicc_ci_pkid = "xyz";
	cases[12].input.supported_protocols = 1u << 5;

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr(GBytes) encoded = NULL;
		g_autoptr(GError) error = NULL;

		encoded = esim_es10_encode_eim_config (&cases[i].input, &error);
		g_test_message ("case %u: %s", i, error != NULL ? error->message : "(none)");
		g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
		g_assert_true (g_str_has_prefix (error->message, cases[i].name));
		g_assert_null (encoded);
	}

	/* and the good one builds, with a key */
	{
		EsimEimConfigInput ok = good;
		g_autoptr(GBytes) encoded = NULL;
		g_autoptr(GError) error = NULL;

		ok.public_key = good_key;
		encoded = esim_es10_encode_eim_config (&ok, &error);
		g_assert_no_error (error);
		g_assert_nonnull (encoded);
	}
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);

	g_test_add_func ("/eim-config/v17-from-fields", test_v17_from_fields);
	g_test_add_func ("/eim-config/v16-add-initial-eim", test_v16_add_initial_eim_from_fields);
	g_test_add_func ("/eim-config/round-trip-certificate", test_round_trip_certificate_arm);
	g_test_add_func ("/eim-config/parse-key-alternatives", test_parse_key_alternatives);
	g_test_add_func ("/eim-config/bad-fields", test_bad_fields);
	return g_test_run ();
}
