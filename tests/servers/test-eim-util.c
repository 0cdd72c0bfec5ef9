/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "esim-ecdsa.h"
#include "esim-tags.h"
#include "esim-test-pki.h"
#include "esim-util.h"
#include "test-eim-util.h"

static TestPki *pki;

static void
remove_tree (const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
	const gchar *name;

	if (dir == NULL) {
		g_remove (path);
		return;
	}
	while ((name = g_dir_read_name (dir)) != NULL) {
		g_autofree gchar *child = g_build_filename (path, name, NULL);

		remove_tree (child);
	}
	g_rmdir (path);
}

static EsimCert *
load_cert (const gchar *dir, const gchar *name)
{
	g_autofree gchar *path = g_build_filename (dir, name, NULL);
	g_autoptr(GError) error = NULL;
	EsimCert *cert = esim_cert_new_from_file (path, &error);

	g_assert_no_error (error);
	return cert;
}

const TestPki *
test_pki_get (void)
{
	EsimTestPkiOptions options = { .smdp_host = "localhost" };
	g_autoptr(GError) error = NULL;
	g_autofree gchar *key = NULL;
	g_autofree gchar *tls = NULL;
	g_autofree gchar *tls_key = NULL;

	if (pki != NULL)
		return pki;
	pki = g_new0 (TestPki, 1);
	pki->dir = g_dir_make_tmp ("esim-test-eim-XXXXXX", &error);
	g_assert_no_error (error);
	g_assert_true (esim_test_pki_write (pki->dir, &options, &pki->eid, &error));
	g_assert_no_error (error);
	pki->ci = load_cert (pki->dir, "CertificateIssuer/CERT_CI_ECDSA_NIST.der");
	pki->eum = load_cert (pki->dir, "EUM/CERT_EUM_ECDSA_NIST.der");
	pki->euicc = load_cert (pki->dir, "eUICC/CERT_EUICC_ECDSA_NIST.der");
	key = g_build_filename (pki->dir, "eUICC", "SK_EUICC_ECDSA_NIST.pem", NULL);
	pki->euicc_key = esim_ecdsa_privkey_new_from_file (key, &error);
	g_assert_no_error (error);
	pki->ci_pem = g_build_filename (pki->dir, "CertificateIssuer", "CERT_CI_ECDSA_NIST.pem", NULL);
	tls = g_build_filename (pki->dir, "DPtls", "CERT_S_SM_DP_TLS_NIST.pem", NULL);
	tls_key = g_build_filename (pki->dir, "DPtls", "SK_S_SM_DP_TLS_NIST.pem", NULL);
	pki->dp_tls = g_tls_certificate_new_from_files (tls, tls_key, &error);
	g_assert_no_error (error);
	return pki;
}

void
test_pki_cleanup (void)
{
	if (pki == NULL)
		return;
	remove_tree (pki->dir);
	g_free (pki->dir);
	g_free (pki->eid);
	esim_cert_unref (pki->ci);
	esim_cert_unref (pki->eum);
	esim_cert_unref (pki->euicc);
	gnutls_privkey_deinit (pki->euicc_key);
	g_free (pki->ci_pem);
	g_object_unref (pki->dp_tls);
	g_clear_pointer (&pki, g_free);
}

void
fixture_setup (Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) cis = g_ptr_array_new ();

	f->pki = test_pki_get ();
	f->eim = esim_test_eim_new (NULL, &error);
	g_assert_no_error (error);
	g_ptr_array_add (cis, f->pki->ci);
	esim_test_eim_set_ci_certificates (f->eim, cis);
	g_assert_true (esim_test_eim_add_euicc (f->eim, f->pki->eid, &error));
	f->eim_trust = esim_test_eim_dup_tls_database (f->eim, &error);
	g_assert_no_error (error);
	f->http = esim_http_client_new (esim_test_eim_get_fqdn (f->eim), "eIM", f->eim_trust, &error);
	g_assert_no_error (error);
	esim_http_client_set_timeout (f->http, 10);
}

void
fixture_teardown (Fixture *f, gconstpointer data)
{
	g_clear_object (&f->http);
	g_clear_object (&f->eim_trust);
	g_clear_object (&f->eim);
	/* let libsoup finish closing what it closes in idle callbacks */
	while (g_main_context_iteration (NULL, FALSE))
		;
}

static gboolean
deadline_passed (gpointer user_data)
{
	*(gboolean *) user_data = TRUE;
	return G_SOURCE_REMOVE;
}

void
test_wait_flag (gboolean *flag, guint seconds, const gchar *what)
{
	gboolean expired = FALSE;
	guint id = g_timeout_add_seconds (seconds, deadline_passed, &expired);

	while (!*flag && !expired)
		g_main_context_iteration (NULL, TRUE);
	if (!*flag)
		g_error ("%s never came (waited %u s)", what, seconds);
	g_source_remove (id);
}

void
test_wait_count (guint *counter, guint n, guint seconds, const gchar *what)
{
	gboolean expired = FALSE;
	guint id = g_timeout_add_seconds (seconds, deadline_passed, &expired);

	while (*counter < n && !expired)
		g_main_context_iteration (NULL, TRUE);
	if (*counter < n)
		g_error ("%s never came (waited %u s)", what, seconds);
	g_source_remove (id);
}

void
test_wait (GAsyncResult **result, guint seconds, const gchar *what)
{
	gboolean expired = FALSE;
	guint id = g_timeout_add_seconds (seconds, deadline_passed, &expired);

	while (*result == NULL && !expired)
		g_main_context_iteration (NULL, TRUE);
	if (*result == NULL)
		g_error ("%s never came (waited %u s)", what, seconds);
	g_source_remove (id);
}

void
test_store_result (GObject *source, GAsyncResult *res, gpointer user_data)
{
	*(GAsyncResult **) user_data = g_object_ref (res);
}

GBytes *
test_hex (const gchar *hex)
{
	g_autoptr(GError) error = NULL;
	GBytes *bytes = esim_hex_decode (hex, &error);

	g_assert_no_error (error);
	return bytes;
}

GBytes *
test_finish (EsimDerWriter *writer)
{
	GBytes *bytes = esim_der_writer_finish (writer);

	esim_der_writer_free (writer);
	return bytes;
}

static void
put (EsimDerWriter *writer, GBytes *tlv)
{
	esim_der_writer_put_raw (writer, g_bytes_get_data (tlv, NULL), g_bytes_get_size (tlv));
}

GBytes *
test_post (Fixture *f, EsimTestEimBinding binding, const gchar *function, GBytes *body, guint *status,
           GError **error)
{
	static const gchar *const headers[] = { "X-Admin-Protocol", "gsma/rsp/v2.1.0", NULL };
	g_autofree gchar *path = NULL;
	g_autoptr(GAsyncResult) res = NULL;

	/* the ASN.1 binding's single path, or the JSON binding's per function
	 * (digest §3.7); the headers onomondo-ipa sends (http_hdr.h) */
	if (binding == ESIM_TEST_EIM_BINDING_ASN1)
		path = g_strdup (esim_test_eim_get_asn1_path (f->eim));
	else
		path = g_strconcat (esim_test_eim_get_json_prefix (f->eim), function, NULL);
	esim_http_client_post_async (f->http, path,
	                             binding == ESIM_TEST_EIM_BINDING_ASN1 ? "application/x-gsma-rsp-asn1"
	                                                                   : "application/json;charset=UTF-8",
	                             body, headers, 1024 * 1024, ESIM_HTTP_POST_EMPTY_ANSWER_OK, NULL,
	                             test_store_result, &res);
	test_wait (&res, 30, "the eIM's answer");
	return esim_http_client_post_finish (f->http, res, status, error);
}

GBytes *
test_post_json (Fixture *f, const gchar *function, const gchar *json, guint *status, GError **error)
{
	g_autoptr(GBytes) body = g_bytes_new (json, strlen (json));

	return test_post (f, ESIM_TEST_EIM_BINDING_JSON, function, body, status, error);
}

GBytes *
test_eid_bytes (const gchar *eid)
{
	return test_hex (eid);
}

GBytes *
test_get_eim_package (GBytes *eid)
{
	EsimDerWriter *writer = esim_der_writer_new ();

	/* GetEimPackageRequest BF4F { 5A eidValue } (digest §3.2) */
	esim_der_writer_begin (writer, 0xBF4F);
	if (eid != NULL)
		esim_der_writer_put_bytes (writer, 0x5A, eid);
	esim_der_writer_end (writer);
	return test_finish (writer);
}

GBytes *
test_provide (GBytes *eid, GBytes *result)
{
	EsimDerWriter *writer = esim_der_writer_new ();

	/* ProvideEimPackageResult BF50 { 5A OPT, EimPackageResult } (v1.2) */
	esim_der_writer_begin (writer, 0xBF50);
	if (eid != NULL)
		esim_der_writer_put_bytes (writer, 0x5A, eid);
	put (writer, result);
	esim_der_writer_end (writer);
	return test_finish (writer);
}

GBytes *
test_handle_notification (GBytes *notification)
{
	EsimDerWriter *writer = esim_der_writer_new ();

	/* HandleNotificationEsipa BF3D { A0 { PendingNotification } } (v1.2) */
	esim_der_writer_begin (writer, 0xBF3D);
	esim_der_writer_begin (writer, 0xA0);
	put (writer, notification);
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	return test_finish (writer);
}

GBytes *
test_get_package (Fixture *f, EsimTestEimBinding binding, const gchar *eid, gint64 *error_code)
{
	g_autoptr(GBytes) eid_bytes = test_eid_bytes (eid);
	g_autoptr(GBytes) answer = NULL;
	g_autoptr(GError) error = NULL;
	guint status = 0;
	EsimTlv top, inner;

	*error_code = -1;
	if (binding == ESIM_TEST_EIM_BINDING_ASN1) {
		g_autoptr(GBytes) body = test_get_eim_package (eid_bytes);

		answer = test_post (f, binding, NULL, body, &status, &error);
		g_assert_no_error (error);
		g_assert_cmpuint (status, ==, 200);
		/* GetEimPackageResponse BF4F { BF51 | BF52 | BF54 | 02 error } */
		g_assert_true (esim_tlv_parse_tagged (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer), 0xBF4F,
		                                      &top, NULL));
		g_assert_true (esim_tlv_parse_exact (top.value, top.len, &inner, NULL));
		if (inner.tag == ESIM_TAG_INTEGER) {
			g_assert_true (esim_tlv_get_int (&inner, error_code, NULL));
			return NULL;
		}
		return esim_tlv_dup_raw (&inner);
	} else {
		g_autofree gchar *json = g_strdup_printf ("{\"header\":{\"functionRequesterIdentifier\":\"t\","
		                                          "\"functionCallIdentifier\":\"1\"},\"eidValue\":\"%s\"}", eid);
		g_autoptr(JsonParser) parser = json_parser_new ();
		JsonObject *object;
		static const gchar *const members[] = {
			"euiccPackageRequest", "ipaEuiccDataRequest", "profileDownloadTriggerRequest",
		};

		answer = test_post_json (f, "getEimPackage", json, &status, &error);
		g_assert_no_error (error);
		g_assert_cmpuint (status, ==, 200);
		g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (answer, NULL),
		                                           (gssize) g_bytes_get_size (answer), NULL));
		object = json_node_get_object (json_parser_get_root (parser));
		g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (
		                 json_object_get_object_member (object, "header"), "functionExecutionStatus"), "status"),
		                 ==, "Executed-Success");
		if (json_object_has_member (object, "eimPackageError")) {
			*error_code = json_object_get_int_member (object, "eimPackageError");
			return NULL;
		}
		for (guint i = 0; i < G_N_ELEMENTS (members); i++) {
			gsize len;
			guchar *data;

			if (!json_object_has_member (object, members[i]))
				continue;
			data = g_base64_decode (json_object_get_string_member (object, members[i]), &len);
			return g_bytes_new_take (data, len);
		}
		g_error ("a JSON GetEimPackage answer with no package: %.*s", (int) g_bytes_get_size (answer),
		         (const gchar *) g_bytes_get_data (answer, NULL));
	}
	return NULL;
}

GBytes *
test_make_epr (const TestPki *test_pki, const gchar *eim_id, gint64 counter, GBytes *transaction_id, gint64 seq,
               GBytes *results, gboolean has_token, gint64 token)
{
	EsimDerWriter *writer = esim_der_writer_new ();
	g_autoptr(GBytes) data = NULL;
	g_autoptr(GBytes) input = NULL;
	g_autoptr(GError) error = NULL;
	guint8 signature[ESIM_ECDSA_RAW_LEN];

	/* EuiccPackageResultDataSigned (digest §3.5; V5) */
	esim_der_writer_begin (writer, 0x30);
	esim_der_writer_put_utf8 (writer, 0x80, eim_id);
	esim_der_writer_put_int (writer, 0x81, counter);
	if (transaction_id != NULL)
		esim_der_writer_put_bytes (writer, 0x82, transaction_id);
	esim_der_writer_put_int (writer, 0x83, seq);
	esim_der_writer_begin (writer, 0x30);
	put (writer, results);
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	data = test_finish (writer);
	/* euiccSignEPR over it ‖ 84 L associationToken, 84 01 00 without one */
	writer = esim_der_writer_new ();
	put (writer, data);
	esim_der_writer_put_int (writer, 0x84, has_token ? token : 0);
	input = test_finish (writer);
	g_assert_true (esim_ecdsa_sign (test_pki->euicc_key, g_bytes_get_data (input, NULL), g_bytes_get_size (input),
	                                signature, &error));
	g_assert_no_error (error);
	writer = esim_der_writer_new ();
	esim_der_writer_begin (writer, 0xBF51);
	esim_der_writer_begin (writer, 0xA0);
	put (writer, data);
	esim_der_writer_put (writer, 0x5F37, signature, sizeof (signature));
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	return test_finish (writer);
}

GBytes *
test_make_notification (const TestPki *test_pki, gint64 seq, const gchar *address)
{
	EsimDerWriter *writer = esim_der_writer_new ();
	static const guint8 enable_event[] = { 0x06, 0x40 };   /* notificationEnable(1) */
	guint8 signature[ESIM_ECDSA_RAW_LEN] = { 0x11 };

	/* OtherSignedNotification (SGP.22; digest §6): the eIM forwards it, it
	 * does not check the eUICC's signature on it */
	esim_der_writer_begin (writer, 0x30);
	esim_der_writer_begin (writer, 0xBF2F);
	esim_der_writer_put_int (writer, 0x80, seq);
	esim_der_writer_put (writer, 0x81, enable_event, sizeof (enable_event));
	esim_der_writer_put_utf8 (writer, 0x0C, address);
	esim_der_writer_end (writer);
	esim_der_writer_put (writer, 0x5F37, signature, sizeof (signature));
	put (writer, esim_cert_get_der (test_pki->euicc));
	put (writer, esim_cert_get_der (test_pki->eum));
	esim_der_writer_end (writer);
	return test_finish (writer);
}

void
test_package_parse (GBytes *bf51, TestPackage *package)
{
	EsimTlv top, signed_data, signature, field, op;
	EsimTlvIter iter, ops;

	memset (package, 0, sizeof (*package));
	package->counter = -1;
	package->operations = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
	/* EuiccPackageRequest BF51 { 30 EuiccPackageSigned, 5F37 eimSignature } */
	g_assert_true (esim_tlv_parse_tagged (g_bytes_get_data (bf51, NULL), g_bytes_get_size (bf51), 0xBF51, &top,
	                                      NULL));
	esim_tlv_iter_init (&iter, &top);
	g_assert_true (esim_tlv_iter_next (&iter, &signed_data, NULL));
	g_assert_cmphex (signed_data.tag, ==, 0x30);
	g_assert_true (esim_tlv_iter_next (&iter, &signature, NULL));
	g_assert_cmphex (signature.tag, ==, 0x5F37);
	g_assert_cmpuint (signature.len, ==, 64);
	g_assert_false (esim_tlv_iter_next (&iter, &field, NULL));
	package->signed_data = esim_tlv_dup_raw (&signed_data);
	package->signature = esim_tlv_dup_value (&signature);
	/* 30 { 80 eimId, 5A eid, 81 counter, 82 tid OPT, A0|A1 { ops } } in this order */
	esim_tlv_iter_init (&iter, &signed_data);
	g_assert_true (esim_tlv_iter_next (&iter, &field, NULL));
	g_assert_cmphex (field.tag, ==, 0x80);
	package->eim_id = esim_tlv_dup_utf8 (&field, NULL);
	g_assert_true (esim_tlv_iter_next (&iter, &field, NULL));
	g_assert_cmphex (field.tag, ==, 0x5A);
	package->eid = esim_tlv_dup_value (&field);
	g_assert_true (esim_tlv_iter_next (&iter, &field, NULL));
	g_assert_cmphex (field.tag, ==, 0x81);
	g_assert_true (esim_tlv_get_int (&field, &package->counter, NULL));
	g_assert_true (esim_tlv_iter_next (&iter, &field, NULL));
	if (field.tag == 0x82) {
		package->transaction_id = esim_tlv_dup_value (&field);
		g_assert_true (esim_tlv_iter_next (&iter, &field, NULL));
	}
	g_assert_true (field.tag == 0xA0 || field.tag == 0xA1);
	package->list_tag = field.tag;
	esim_tlv_iter_init (&ops, &field);
	while (esim_tlv_iter_next (&ops, &op, NULL))
		g_ptr_array_add (package->operations, esim_tlv_dup_raw (&op));
	g_assert_false (esim_tlv_iter_next (&iter, &field, NULL));
}

void
test_package_clear (TestPackage *package)
{
	g_clear_pointer (&package->signed_data, g_bytes_unref);
	g_clear_pointer (&package->signature, g_bytes_unref);
	g_clear_pointer (&package->eim_id, g_free);
	g_clear_pointer (&package->eid, g_bytes_unref);
	g_clear_pointer (&package->transaction_id, g_bytes_unref);
	g_clear_pointer (&package->operations, g_ptr_array_unref);
}

gnutls_pubkey_t
test_config_signing_key (GBytes *configuration)
{
	EsimTlv top, key_data, spki;
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autoptr(GBytes) der = NULL;
	gnutls_pubkey_t key = NULL;
	gnutls_datum_t datum;

	/* eimPublicKeyData [5] { eimPublicKey [0] SubjectPublicKeyInfo } (digest §4):
	 * put the SPKI's own 30 back to read it */
	g_assert_true (esim_tlv_parse_tagged (g_bytes_get_data (configuration, NULL), g_bytes_get_size (configuration),
	                                      0x30, &top, NULL));
	g_assert_true (esim_tlv_find (&top, 0xA5, &key_data, NULL));
	g_assert_true (esim_tlv_parse_exact (key_data.value, key_data.len, &spki, NULL));
	g_assert_cmphex (spki.tag, ==, 0xA0);
	esim_der_writer_put (writer, 0x30, spki.value, spki.len);
	der = esim_der_writer_finish (writer);
	datum.data = (unsigned char *) g_bytes_get_data (der, NULL);
	datum.size = g_bytes_get_size (der);
	g_assert_cmpint (gnutls_pubkey_init (&key), ==, 0);
	g_assert_cmpint (gnutls_pubkey_import (key, &datum, GNUTLS_X509_FMT_DER), ==, 0);
	return key;
}
