/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * esimcli eim list | show | add | remove against the real esimd on a private
 * session bus with a software eUICC (tests/dbus harness): an eIM added from
 * fields and from a DER file (the AddInitialEimRequest onomondo-ipa ships,
 * vectors.md V16), the Eim object's properties over D-Bus as esimd.conf's
 * [eim] groups set them, every output format, bad input refused with exit
 * status 2 and a message naming what is wrong, and removal as SGP.32 allows it
 * (eUICCMemoryReset resetEimConfigData: every eIM of the eUICC at once).  Also
 * esimd refusing to start on a bad [eim] value.
 */

#include <string.h>

#include <gnutls/abstract.h>
#include <json-glib/json-glib.h>

#include "esim-der.h"
#include "esim-es10.h"
#include "esim-tags.h"
#include "esim-test-pki.h"
#include "esim-util.h"
#include "esimd-test-harness.h"

#define EXIT_OK        0
#define EXIT_ERROR     1
#define EXIT_USAGE     2
#define EXIT_NOT_FOUND 10

#define IFACE_EIM "org.freedesktop.Esimd1.Eim"

/* AddInitialEimRequest shipped with onomondo-ipa (vectors.md V16): eimId "eIM",
 * eimFqdn "127.0.0.1:8000", counterValue 1, associationToken 255, a P-256 eimPublicKeyData,
 * no trustedPublicKeyDataTls */
#define V16_CONFIG "3078800365494D810E3132372E302E302E313A383030308301018401FFA55BA059301306072A8648" \
                   "CE3D020106082A8648CE3D03010703420004FE584A6F450459574AECA195D0299737F74C89BA2D36" \
                   "DF9286EC25D973037A0FBA70D14DF3E1F7D0A305E57B95B731C4DE218D2D7F9F22113ED5D18C2E3D" \
                   "DF1C"
#define V16 "BF577CA07A" V16_CONFIG

typedef struct {
	EsimdTestHarness *h;
	gchar *dir;        /* the harness's temporary directory */
	gchar *key_pem;    /* the eIM's signing public key, PEM */
	gchar *key_der;    /* the same, DER */
	gchar *ca_pem;     /* a CA certificate (basicConstraints cA) */
	gchar *leaf_pem;   /* a certificate the CA issued */
	gchar *conf_ca;    /* the [eim] CaFile */
	gchar *private_pem;
} Fixture;

static gchar *
write_file (Fixture *f, const gchar *name, const void *data, gssize len)
{
	g_autofree gchar *path = g_build_filename (f->dir, name, NULL);
	g_autoptr(GError) error = NULL;

	g_file_set_contents (path, data, len, &error);
	g_assert_no_error (error);
	return g_steal_pointer (&path);
}

static gchar *
write_pem (Fixture *f, const gchar *name, const gchar *label, GBytes *der)
{
	g_autofree gchar *base64 = g_base64_encode (g_bytes_get_data (der, NULL),
	                                            g_bytes_get_size (der));
	g_autofree gchar *pem = g_strdup_printf ("-----BEGIN %s-----\n%s\n-----END %s-----\n",
	                                         label, base64, label);
	return write_file (f, name, pem, -1);
}

static GBytes *
spki_of (EsimTestPkiCert *cert)
{
	gnutls_pubkey_t pubkey = NULL;
	gnutls_datum_t out = { NULL, 0 };
	GBytes *der;

	g_assert_cmpint (gnutls_pubkey_init (&pubkey), ==, 0);
	g_assert_cmpint (gnutls_pubkey_import_x509 (pubkey, esim_test_pki_cert_get_x509 (cert), 0), ==, 0);
	g_assert_cmpint (gnutls_pubkey_export2 (pubkey, GNUTLS_X509_FMT_DER, &out), ==, 0);
	der = g_bytes_new (out.data, out.size);
	gnutls_free (out.data);
	gnutls_pubkey_deinit (pubkey);
	return der;
}

/* Keys and certificates as an operator would hand them over: fresh P-256 keys from the
 * test PKI (a CI profile, which is a CA, and a TLS certificate it issued). */
static void
write_keys (Fixture *f)
{
	g_autoptr(GError) error = NULL;
	EsimTestPkiCertParams ca_params = { .common_name = "Test eIM CA", .organization = "esimd" };
	EsimTestPkiCertParams leaf_params = { .common_name = "eim.example.com",
	                                      .organization = "esimd",
	                                      .dns_name = "eim.example.com" };
	g_autoptr(EsimTestPkiCert) ca = esim_test_pki_cert_new (ESIM_CERT_ROLE_CI, &ca_params, NULL,
	                                                        &error);
	g_autoptr(EsimTestPkiCert) leaf = NULL;
	g_autoptr(GBytes) spki = NULL;

	g_assert_no_error (error);
	leaf = esim_test_pki_cert_new (ESIM_CERT_ROLE_DP_TLS, &leaf_params, ca, &error);
	g_assert_no_error (error);
	spki = spki_of (leaf);
	f->key_pem = write_pem (f, "eim-key.pem", "PUBLIC KEY", spki);
	f->key_der = write_file (f, "eim-key.der", g_bytes_get_data (spki, NULL),
	                         (gssize) g_bytes_get_size (spki));
	f->ca_pem = write_pem (f, "ca.pem", "CERTIFICATE", esim_test_pki_cert_get_der (ca));
	f->leaf_pem = write_pem (f, "leaf.pem", "CERTIFICATE", esim_test_pki_cert_get_der (leaf));
	f->conf_ca = write_pem (f, "conf-ca.pem", "CERTIFICATE", esim_test_pki_cert_get_der (ca));
	f->private_pem = write_file (f, "private.pem",
	                             "-----BEGIN EC PRIVATE KEY-----\nMAA=\n"
	                             "-----END EC PRIVATE KEY-----\n", -1);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
	g_autofree gchar *config = NULL;
	g_autoptr(GError) error = NULL;

	f->h = esimd_test_harness_new (ESIMD_TEST_BUS_SESSION);
	f->dir = g_strdup (esimd_test_harness_get_tmpdir (f->h));
	write_keys (f);
	/* [eim] for every eIM, [eim:…] for one: Binding, TrustSource and Address follow them */
	config = esimd_test_harness_config_path (f->h);
	g_file_set_contents (config,
	                     "[eim]\nCaFile=conf-ca.pem\nPollInterval=600\n"
	                     "[eim:eim-json]\nBinding=json\nJsonPrefix=/api/esipa/\n"
	                     "[eim:eIM]\nAsn1Path=/esipa/asn1\n", -1, &error);
	g_assert_no_error (error);
	esimd_test_harness_start_daemon (f->h, 1, NULL);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
	esimd_test_harness_free (f->h);
	g_free (f->dir);
	g_free (f->key_pem);
	g_free (f->key_der);
	g_free (f->ca_pem);
	g_free (f->leaf_pem);
	g_free (f->conf_ca);
	g_free (f->private_pem);
}

static gchar *
cli_expect (Fixture *f, gint expected, gchar **err_out, const gchar *first, ...)
	G_GNUC_NULL_TERMINATED;

/* Runs esimcli, asserts its exit status and returns stdout. */
static gchar *
cli_expect (Fixture *f, gint expected, gchar **err_out, const gchar *first, ...)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new ();
	g_autofree gchar *err = NULL;
	gint status = -1;
	va_list args;
	gchar *out;

	va_start (args, first);
	for (const gchar *arg = first; arg != NULL; arg = va_arg (args, const gchar *))
		g_ptr_array_add (argv, (gpointer) arg);
	va_end (args);
	g_ptr_array_add (argv, NULL);
	out = esimd_test_harness_run_cli_argv (f->h, (const gchar *const *) argv->pdata, &status,
	                                       &err);
	if (status != expected)
		g_printerr ("esimcli %s…: exit %d, expected %d\nstdout:\n%s\nstderr:\n%s\n", first,
		            status, expected, out, err);
	g_assert_cmpint (status, ==, expected);
	if (err_out != NULL)
		*err_out = g_steal_pointer (&err);
	return out;
}

/* A refusal: exit @expected, "Error: " and @what on stderr, nothing on stdout. */
static void
assert_refused (Fixture *f, gint expected, const gchar *what, const gchar *first, ...)
	G_GNUC_NULL_TERMINATED;

static void
assert_refused (Fixture *f, gint expected, const gchar *what, const gchar *first, ...)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new ();
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;
	gint status = -1;
	va_list args;

	va_start (args, first);
	for (const gchar *arg = first; arg != NULL; arg = va_arg (args, const gchar *))
		g_ptr_array_add (argv, (gpointer) arg);
	va_end (args);
	g_ptr_array_add (argv, NULL);
	out = esimd_test_harness_run_cli_argv (f->h, (const gchar *const *) argv->pdata, &status,
	                                       &err);
	g_test_message ("esimcli %s ...: %d %s", first, status, err);
	g_assert_cmpint (status, ==, expected);
	g_assert_cmpstr (out, ==, "");
	g_assert_true (g_str_has_prefix (err, "Error: "));
	g_assert_nonnull (strstr (err, what));
}

static JsonNode *
parse_json (const gchar *text)
{
	g_autoptr(JsonParser) parser = json_parser_new ();
	g_autoptr(GError) error = NULL;

	json_parser_load_from_data (parser, text, -1, &error);
	g_assert_no_error (error);
	return json_node_copy (json_parser_get_root (parser));
}

/* The one Eim object's property @name, read over D-Bus. */
static GVariant *
eim_property (Fixture *f, const gchar *path, const gchar *name)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;
	GVariant *value = NULL;

	reply = g_dbus_connection_call_sync (esimd_test_harness_get_connection (f->h),
	                                     ESIMD_TEST_BUS_NAME, path,
	                                     "org.freedesktop.DBus.Properties", "Get",
	                                     g_variant_new ("(ss)", IFACE_EIM, name),
	                                     G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, 10000,
	                                     NULL, &error);
	g_assert_no_error (error);
	g_variant_get (reply, "(v)", &value);
	return value;
}

static void
assert_eim_string (Fixture *f, const gchar *path, const gchar *name, const gchar *expected)
{
	g_autoptr(GVariant) value = eim_property (f, path, name);

	g_assert_cmpstr (g_variant_get_string (value, NULL), ==, expected);
}

/* `eim list -o json` as an array */
static JsonNode *
list_eims (Fixture *f)
{
	g_autofree gchar *out = cli_expect (f, EXIT_OK, NULL, "-o", "json", "eim", "list", NULL);
	JsonNode *root = parse_json (out);

	g_assert_true (JSON_NODE_HOLDS_ARRAY (root));
	return root;
}

static gchar *
eim_path (Fixture *f, const gchar *eim_id)
{
	g_autoptr(JsonNode) root = list_eims (f);
	JsonArray *array = json_node_get_array (root);

	for (guint i = 0; i < json_array_get_length (array); i++) {
		JsonObject *eim = json_array_get_object_element (array, i);

		if (g_strcmp0 (json_object_get_string_member (eim, "eim_id"), eim_id) == 0)
			return g_strdup_printf ("/org/freedesktop/Esimd1/Eim/%" G_GINT64_FORMAT,
			                        json_object_get_int_member (eim, "index"));
	}
	return NULL;
}

/* ---- tests ---- */

/* From fields, with a pinned TLS key, on the eIM whose [eim:eim-json] group says json. */
static void
test_add_fields (Fixture *f, gconstpointer data)
{
	g_autoptr(JsonNode) before = list_eims (f);
	g_autofree gchar *added = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *path = NULL;
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GVariant) protocols = NULL;
	g_autoptr(GVariant) counter = NULL;
	g_autoptr(GVariant) indirect = NULL;
	JsonObject *object;
	JsonArray *array;

	g_assert_cmpuint (json_array_get_length (json_node_get_array (before)), ==, 0);
	added = cli_expect (f, EXIT_OK, NULL, "eim", "add", "--id", "eim-json", "--fqdn",
	                    "eim.example.com:8443", "--key", f->key_pem, "--tls-key", f->key_der,
	                    "--counter", "7", "--protocol", "retrieve-https,inject-https",
	                    "--indirect-download", NULL);
	g_assert_true (g_str_has_prefix (added, "eIM added to eUICC "));

	/* the properties over D-Bus */
	path = eim_path (f, "eim-json");
	g_assert_nonnull (path);
	assert_eim_string (f, path, "EimId", "eim-json");
	assert_eim_string (f, path, "Fqdn", "eim.example.com:8443");
	assert_eim_string (f, path, "Binding", "json");
	assert_eim_string (f, path, "TrustSource", "pinned-key");
	assert_eim_string (f, path, "Address", "https://eim.example.com:8443/api/esipa/");
	counter = eim_property (f, path, "Counter");
	g_assert_cmpint (g_variant_get_int64 (counter), ==, 7);
	indirect = eim_property (f, path, "IndirectDownload");
	g_assert_true (g_variant_get_boolean (indirect));
	protocols = eim_property (f, path, "SupportedProtocols");
	g_assert_cmpuint (g_variant_n_children (protocols), ==, 2);

	/* JSON: every field, typed */
	out = cli_expect (f, EXIT_OK, NULL, "-o", "json", "eim", "show", "eim-json", NULL);
	root = parse_json (out);
	object = json_node_get_object (root);
	g_assert_cmpstr (json_object_get_string_member (object, "eim_id"), ==, "eim-json");
	g_assert_cmpstr (json_object_get_string_member (object, "fqdn"), ==, "eim.example.com:8443");
	g_assert_cmpstr (json_object_get_string_member (object, "binding"), ==, "json");
	g_assert_cmpstr (json_object_get_string_member (object, "trust"), ==, "pinned-key");
	g_assert_cmpstr (json_object_get_string_member (object, "address"), ==,
	                 "https://eim.example.com:8443/api/esipa/");
	g_assert_cmpint (json_object_get_int_member (object, "counter"), ==, 7);
	g_assert_true (json_object_get_boolean_member (object, "indirect_download"));
	g_assert_true (json_object_get_null_member (object, "id_type"));
	array = json_object_get_array_member (object, "protocols");
	g_assert_cmpuint (json_array_get_length (array), ==, 2);
	g_assert_cmpstr (json_array_get_string_element (array, 0), ==, "retrieve-https");
	g_assert_cmpstr (json_array_get_string_element (array, 1), ==, "inject-https");
	g_assert_cmpstr (json_object_get_string_member (object, "path"), ==, path);
	g_assert_cmpuint (strlen (json_object_get_string_member (object, "euicc")), ==, 32);

	/* human list: header and one row; show: one "FIELD: value" line per field */
	g_clear_pointer (&out, g_free);
	out = cli_expect (f, EXIT_OK, NULL, "eim", "list", NULL);
	g_assert_true (g_str_has_prefix (out, "INDEX"));
	g_assert_nonnull (strstr (out, "EIM-ID"));
	g_assert_nonnull (strstr (out, "eim-json"));
	g_assert_nonnull (strstr (out, "pinned-key"));
	g_clear_pointer (&out, g_free);
	out = cli_expect (f, EXIT_OK, NULL, "eim", "show", "eim-json", NULL);
	g_assert_nonnull (strstr (out, "ADDRESS:"));
	g_assert_nonnull (strstr (out, "https://eim.example.com:8443/api/esipa/"));
	g_assert_nonnull (strstr (out, "INDIRECT-DOWNLOAD:"));

	/* terse and -g: ':' escaped, values only; keyvalue: eim.field */
	g_clear_pointer (&out, g_free);
	out = cli_expect (f, EXIT_OK, NULL, "-g", "EIM-ID,FQDN,TRUST", "eim", "list", NULL);
	g_assert_cmpstr (out, ==, "eim-json:eim.example.com\\:8443:pinned-key\n");
	g_clear_pointer (&out, g_free);
	out = cli_expect (f, EXIT_OK, NULL, "-g", "BINDING", "eim", "show", "eim-json", NULL);
	g_assert_cmpstr (out, ==, "json\n");
	g_clear_pointer (&out, g_free);
	out = cli_expect (f, EXIT_OK, NULL, "-o", "keyvalue", "-f", "EIM-ID,COUNTER", "eim", "list",
	                  NULL);
	g_assert_cmpstr (out, ==, "eim[1].eim_id: eim-json\neim[1].counter: 7\n");

	/* by index too, and --euicc filters */
	g_clear_pointer (&out, g_free);
	{
		g_autofree gchar *index = g_path_get_basename (path);

		out = cli_expect (f, EXIT_OK, NULL, "-g", "EIM-ID", "eim", "show", index, NULL);
		g_assert_cmpstr (out, ==, "eim-json\n");
	}
	g_clear_pointer (&out, g_free);
	out = cli_expect (f, EXIT_OK, NULL, "-g", "EIM-ID", "eim", "list", "--euicc", "0", NULL);
	g_assert_cmpstr (out, ==, "eim-json\n");

	/* a second AddInitialEim: the card refuses, the message says why */
	assert_refused (f, EXIT_ERROR, "associatedEimAlreadyExists", "eim", "add", "--id", "other",
	                "--fqdn", "other.example.com", "--key", f->key_pem, NULL);

	/* completion offers the eimId */
	g_clear_pointer (&out, g_free);
	out = cli_expect (f, EXIT_OK, NULL, "--complete-args", "eim", "show", "eim-", NULL);
	g_assert_cmpstr (out, ==, "eim-json\n");
}

/* From a DER file (V16), on an eIM without trustedPublicKeyDataTls: the [eim] CA file. */
static void
test_add_file (Fixture *f, gconstpointer data)
{
	g_autoptr(GBytes) v16 = esim_hex_decode (V16, NULL);
	g_autofree gchar *file = write_file (f, "v16.der", g_bytes_get_data (v16, NULL),
	                                     (gssize) g_bytes_get_size (v16));
	g_autofree gchar *out = NULL;
	g_autofree gchar *path = NULL;

	g_free (cli_expect (f, EXIT_OK, NULL, "eim", "add", "--file", file, NULL));
	path = eim_path (f, "eIM");
	g_assert_nonnull (path);
	assert_eim_string (f, path, "Fqdn", "127.0.0.1:8000");
	assert_eim_string (f, path, "Binding", "asn1");
	assert_eim_string (f, path, "TrustSource", "ca-file");
	assert_eim_string (f, path, "Address", "https://127.0.0.1:8000/esipa/asn1");
	out = cli_expect (f, EXIT_OK, NULL, "-t", "-f", "EIM-ID,FQDN,BINDING,TRUST,COUNTER", "eim",
	                  "list", NULL);
	g_assert_cmpstr (out, ==, "eIM:127.0.0.1\\:8000:asn1:ca-file:1\n");
}

/* One EimConfigurationData from fields, as the lib builds it for esimcli. */
static GBytes *
config_bytes (Fixture *f, const gchar *eim_id, const gchar *tls_file)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *key = NULL;
	g_autofree gchar *tls = NULL;
	gsize key_len = 0, tls_len = 0;
	g_autoptr(GBytes) key_bytes = NULL;
	g_autoptr(GBytes) tls_bytes = NULL;
	EsimEimConfigInput input = { .eim_id = eim_id, .fqdn = "eim.example.com", .id_type = -1,
	                             .counter_value = -1 };
	GBytes *config;

	g_assert_true (g_file_get_contents (f->key_pem, &key, &key_len, NULL));
	key_bytes = g_bytes_new (key, key_len);
	input.public_key = key_bytes;
	if (tls_file != NULL) {
		g_assert_true (g_file_get_contents (tls_file, &tls, &tls_len, NULL));
		tls_bytes = g_bytes_new (tls, tls_len);
		input.trusted_tls = tls_bytes;
	}
	config = esim_es10_encode_eim_config (&input, &error);
	g_assert_no_error (error);
	return config;
}

/* TrustSource for a CA certificate and for the eIM's own; two eIMs, then removal. */
static void
test_remove (Fixture *f, gconstpointer data)
{
	g_autoptr(GBytes) first = config_bytes (f, "eim-a", f->ca_pem);
	g_autoptr(GBytes) second = config_bytes (f, "eim-b", f->leaf_pem);
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autoptr(GBytes) request = NULL;
	g_autofree gchar *file = NULL;
	g_autofree gchar *path_a = NULL;
	g_autofree gchar *path_b = NULL;
	g_autofree gchar *out = NULL;
	g_autoptr(JsonNode) after = NULL;

	/* BF57 { A0 { 30 …, 30 … } }: AddInitialEim with two eIMs */
	esim_der_writer_begin (writer, ESIM_TAG_ADD_INITIAL_EIM);
	esim_der_writer_begin (writer, ESIM_TAG_EIM_CONFIG_LIST);
	esim_der_writer_put_raw (writer, g_bytes_get_data (first, NULL), g_bytes_get_size (first));
	esim_der_writer_put_raw (writer, g_bytes_get_data (second, NULL), g_bytes_get_size (second));
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	request = esim_der_writer_finish (writer);
	file = write_file (f, "two.der", g_bytes_get_data (request, NULL),
	                   (gssize) g_bytes_get_size (request));
	g_free (cli_expect (f, EXIT_OK, NULL, "eim", "add", "--file", file, NULL));
	path_a = eim_path (f, "eim-a");
	path_b = eim_path (f, "eim-b");
	g_assert_nonnull (path_a);
	g_assert_nonnull (path_b);
	assert_eim_string (f, path_a, "TrustSource", "ca");
	assert_eim_string (f, path_b, "TrustSource", "certificate");

	/* one of two: SGP.32 gives the device no such command */
	assert_refused (f, EXIT_ERROR, "only all at once", "eim", "remove", "eim-a", "--yes", NULL);
	/* without --yes off a terminal: refused before anything happens */
	assert_refused (f, EXIT_USAGE, "use --yes", "eim", "remove", "--all", NULL);
	assert_refused (f, EXIT_USAGE, "not both", "eim", "remove", "eim-a", "--all", "--yes", NULL);
	assert_refused (f, EXIT_NOT_FOUND, "no eIM 'eim-z'", "eim", "remove", "eim-z", "--yes",
	                NULL);
	g_assert_nonnull (eim_path (f, "eim-a"));

	out = cli_expect (f, EXIT_OK, NULL, "eim", "remove", "--all", "--yes", NULL);
	g_assert_true (g_str_has_prefix (out, "2 eIMs removed from eUICC "));
	after = list_eims (f);
	g_assert_cmpuint (json_array_get_length (json_node_get_array (after)), ==, 0);
	assert_refused (f, EXIT_NOT_FOUND, "has no eIM", "eim", "remove", "--all", "--yes", NULL);

	/* the only eIM goes by its name */
	g_free (cli_expect (f, EXIT_OK, NULL, "eim", "add", "--id", "eim-c", "--fqdn", "c.example",
	                    "--key", f->key_der, NULL));
	g_clear_pointer (&out, g_free);
	out = cli_expect (f, EXIT_OK, NULL, "eim", "remove", "eim-c", "--yes", NULL);
	g_assert_true (g_str_has_prefix (out, "eIM removed from eUICC "));
	g_clear_pointer (&after, json_node_unref);
	after = list_eims (f);
	g_assert_cmpuint (json_array_get_length (json_node_get_array (after)), ==, 0);
}

/* Bad input: exit 2, a message naming the option or field, the daemon untouched. */
static void
test_bad_input (Fixture *f, gconstpointer data)
{
	g_autofree gchar *missing = g_build_filename (f->dir, "missing.pem", NULL);
	g_autofree gchar *text = write_file (f, "text.pem", "hello\n", -1);
	g_autoptr(JsonNode) after = NULL;

	assert_refused (f, EXIT_USAGE, "--key", "eim", "add", "--id", "x", "--fqdn", "h.example",
	                "--key", missing, NULL);
	assert_refused (f, EXIT_USAGE, "No such file", "eim", "add", "--id", "x", "--fqdn",
	                "h.example", "--key", missing, NULL);
	assert_refused (f, EXIT_USAGE, "eimFqdn \"bad host\"", "eim", "add", "--id", "x", "--fqdn",
	                "bad host", "--key", f->key_pem, NULL);
	assert_refused (f, EXIT_USAGE, "eimFqdn", "eim", "add", "--id", "x", "--fqdn",
	                "h.example:70000", "--key", f->key_pem, NULL);
	assert_refused (f, EXIT_USAGE, "--key", "eim", "add", "--id", "x", "--fqdn", "h.example",
	                "--key", text, NULL);
	assert_refused (f, EXIT_USAGE, "EC PRIVATE KEY", "eim", "add", "--id", "x", "--fqdn",
	                "h.example", "--key", f->private_pem, NULL);
	assert_refused (f, EXIT_USAGE, "not a regular file", "eim", "add", "--id", "x", "--fqdn",
	                "h.example", "--key", "/dev/zero", NULL);
	assert_refused (f, EXIT_USAGE, "--tls-ca", "eim", "add", "--id", "x", "--fqdn", "h.example",
	                "--key", f->key_pem, "--tls-ca", f->key_pem, NULL);
	assert_refused (f, EXIT_USAGE, "--tls-key", "eim", "add", "--id", "x", "--fqdn", "h.example",
	                "--key", f->key_pem, "--tls-key", f->ca_pem, NULL);
	assert_refused (f, EXIT_USAGE, "not both", "eim", "add", "--id", "x", "--fqdn", "h.example",
	                "--key", f->key_pem, "--tls-key", f->key_pem, "--tls-ca", f->ca_pem, NULL);
	assert_refused (f, EXIT_USAGE, "--protocol", "eim", "add", "--id", "x", "--fqdn",
	                "h.example", "--key", f->key_pem, "--protocol", "http", NULL);
	assert_refused (f, EXIT_USAGE, "--counter", "eim", "add", "--id", "x", "--fqdn",
	                "h.example", "--key", f->key_pem, "--counter", "-1", NULL);
	assert_refused (f, EXIT_USAGE, "missing --id", "eim", "add", NULL);
	assert_refused (f, EXIT_USAGE, "missing --fqdn", "eim", "add", "--id", "x", NULL);
	assert_refused (f, EXIT_USAGE, "missing --key", "eim", "add", "--id", "x", "--fqdn",
	                "h.example", NULL);
	assert_refused (f, EXIT_USAGE, "eimId", "eim", "add", "--id", "", "--fqdn", "h.example",
	                "--key", f->key_pem, NULL);
	assert_refused (f, EXIT_USAGE, "not an eIM configuration", "eim", "add", "--file",
	                f->key_der, NULL);
	assert_refused (f, EXIT_USAGE, "--file", "eim", "add", "--file", missing, NULL);
	assert_refused (f, EXIT_USAGE, "give it alone", "eim", "add", "--file", f->key_der, "--id",
	                "x", NULL);
	assert_refused (f, EXIT_USAGE, "missing argument EIM", "eim", "show", NULL);
	assert_refused (f, EXIT_NOT_FOUND, "no eIM 'nope'", "eim", "show", "nope", NULL);
	assert_refused (f, EXIT_USAGE, "does not apply", "eim", "list", "--all", NULL);

	/* nothing reached the card, the daemon still answers */
	after = list_eims (f);
	g_assert_cmpuint (json_array_get_length (json_node_get_array (after)), ==, 0);
	g_assert_false (esimd_test_harness_daemon_exited (f->h, NULL));
}

/* A bad [eim] value: esimd does not start, and says where. */
static void
test_bad_config (Fixture *f, gconstpointer data)
{
	g_autofree gchar *config = esimd_test_harness_config_path (f->h);
	g_autofree gchar *config_arg = g_strdup_printf ("--config=%s", config);
	g_autoptr(GError) error = NULL;
	static const struct {
		const gchar *contents;
		const gchar *message;
	} cases[] = {
		{ "[eim]\nBinding=soap\n", "[eim] Binding: invalid value \"soap\"" },
		{ "[eim:x]\nPollInterval=0\n", "[eim:x] PollInterval" },
		{ "[eim]\nCaFile=/nonexistent.pem\n", "[eim] CaFile" },
	};

	esimd_test_harness_stop_daemon (f->h);
	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree gchar *err = NULL;
		gint status;

		g_file_set_contents (config, cases[i].contents, -1, &error);
		g_assert_no_error (error);
		status = esimd_test_harness_run_daemon_sync (f->h, &err, "--session", config_arg, NULL);
		g_test_message ("%s", err);
		g_assert_cmpint (status, ==, 1);
		g_assert_nonnull (strstr (err, config));
		g_assert_nonnull (strstr (err, cases[i].message));
	}
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add ("/esimcli/eim/add-fields", Fixture, NULL, fixture_setup, test_add_fields,
	            fixture_teardown);
	g_test_add ("/esimcli/eim/add-file", Fixture, NULL, fixture_setup, test_add_file,
	            fixture_teardown);
	g_test_add ("/esimcli/eim/remove", Fixture, NULL, fixture_setup, test_remove,
	            fixture_teardown);
	g_test_add ("/esimcli/eim/bad-input", Fixture, NULL, fixture_setup, test_bad_input,
	            fixture_teardown);
	g_test_add ("/esimcli/eim/bad-config", Fixture, NULL, fixture_setup, test_bad_config,
	            fixture_teardown);
	return g_test_run ();
}
