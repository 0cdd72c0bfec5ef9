/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: ES9+ requests into the test SM-DP+ (esim_test_smdp_handle,
 * the HTTPS handler without HTTP).  Input: records of one byte naming the
 * function (0 initiateAuthentication, 1 authenticateClient,
 * 2 getBoundProfilePackage, 3 handleNotification, 4 cancelSession), a 2-byte
 * big-endian length and the JSON body.  In a body, "$TID" becomes the last
 * transaction ID the server issued, "$INFO1" an euiccInfo1 it accepts and
 * "$ADDR" its address, so that mutations reach past the session lookup.
 * Every answer must be an HTTP status it uses, with JSON where it gives one.
 */

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>

#include "esim-cert.h"
#include "esim-der.h"
#include "esim-test-pki.h"
#include "esim-test-smdp.h"

int LLVMFuzzerTestOneInput (const guint8 *data, gsize size);

static const gchar *const functions[] = {
	"initiateAuthentication", "authenticateClient", "getBoundProfilePackage", "handleNotification",
	"cancelSession",
};

static gchar *pki_dir;
static gchar *info1;

static void
quiet_log (const gchar *log_domain, GLogLevelFlags log_level, const gchar *message,
           gpointer user_data)
{
}

static void
remove_tree (const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
	const gchar *name;

	while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
		g_autofree gchar *child = g_build_filename (path, name, NULL);

		if (g_file_test (child, G_FILE_TEST_IS_DIR))
			remove_tree (child);
		else
			g_unlink (child);
	}
	g_rmdir (path);
}

static void
remove_pki (void)
{
	remove_tree (pki_dir);
}

/* EUICCInfo1 naming the PKI's CI for verification and signing */
static void
init (void)
{
	EsimTestPkiOptions options = { .smdp_host = "smdp.test", .expired = TRUE, .foreign_ci = TRUE };
	static const guint8 svn[] = { 2, 5, 0 };
	g_autofree gchar *ci_path = NULL;
	g_autoptr(EsimCert) ci = NULL;
	g_autoptr(EsimDerWriter) w = esim_der_writer_new ();
	g_autoptr(GBytes) bytes = NULL;

	g_log_set_default_handler (quiet_log, NULL);
	pki_dir = g_dir_make_tmp ("fuzz-test-smdp-XXXXXX", NULL);
	if (pki_dir == NULL || !esim_test_pki_write (pki_dir, &options, NULL, NULL))
		abort ();
	atexit (remove_pki);
	ci_path = g_build_filename (pki_dir, "CertificateIssuer", "CERT_CI_ECDSA_NIST.der", NULL);
	ci = esim_cert_new_from_file (ci_path, NULL);
	if (ci == NULL)
		abort ();
	esim_der_writer_begin (w, 0xBF20);
	esim_der_writer_put (w, 0x82, svn, sizeof (svn));
	esim_der_writer_begin (w, 0xA9);
	esim_der_writer_put_bytes (w, 0x04, esim_cert_get_subject_key_id (ci));
	esim_der_writer_end (w);
	esim_der_writer_begin (w, 0xAA);
	esim_der_writer_put_bytes (w, 0x04, esim_cert_get_subject_key_id (ci));
	esim_der_writer_end (w);
	esim_der_writer_end (w);
	bytes = esim_der_writer_finish (w);
	info1 = g_base64_encode (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static gchar *
substitute (const guint8 *body, gsize len, const gchar *tid, const gchar *address)
{
	g_autofree gchar *text = g_strndup ((const gchar *) body, len);
	g_autoptr(GString) out = g_string_new (NULL);
	const gchar *p = text;

	/* a NUL inside the body ends it: JSON has none */
	while (*p != '\0') {
		if (g_str_has_prefix (p, "$TID")) {
			g_string_append (out, tid != NULL ? tid : "00");
			p += 4;
		} else if (g_str_has_prefix (p, "$INFO1")) {
			g_string_append (out, info1);
			p += 6;
		} else if (g_str_has_prefix (p, "$ADDR")) {
			g_string_append (out, address);
			p += 5;
		} else {
			g_string_append_c (out, *p++);
		}
	}
	return g_string_free (g_steal_pointer (&out), FALSE);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, gsize size)
{
	static gboolean initialised = FALSE;
	EsimTestSmdpOptions options = { 0 };
	EsimTestSmdpOrder order = { .matching_id = "MID-1" };
	EsimTestSmdpOrder cc_order = { .matching_id = "MID-CC", .confirmation_code = "1234" };
	g_autoptr(EsimTestSmdp) smdp = NULL;
	g_autofree gchar *tid = NULL;

	if (!initialised) {
		init ();
		initialised = TRUE;
	}
	options.pki_dir = pki_dir;
	options.host = "smdp.test";
	smdp = esim_test_smdp_new (&options, NULL);
	if (smdp == NULL || !esim_test_smdp_add_order (smdp, &order, NULL) ||
	    !esim_test_smdp_add_order (smdp, &cc_order, NULL))
		abort ();
	while (size >= 3) {
		const gchar *function = functions[data[0] % G_N_ELEMENTS (functions)];
		gsize len = MIN ((gsize) (data[1] << 8 | data[2]), size - 3);
		g_autofree gchar *body = substitute (data + 3, len, tid, esim_test_smdp_get_address (smdp));
		g_autofree gchar *answer = NULL;
		guint status;

		data += 3 + len;
		size -= 3 + len;
		status = esim_test_smdp_handle (smdp, function, body, strlen (body), &answer);
		if (status != 200 && status != 204 && status != 400)
			__builtin_trap ();
		if ((status == 200) != (answer != NULL))
			__builtin_trap ();
		if (answer != NULL) {
			g_autoptr(JsonParser) parser = json_parser_new ();
			JsonNode *root;

			if (!json_parser_load_from_data (parser, answer, -1, NULL))
				__builtin_trap ();
			root = json_parser_get_root (parser);
			if (JSON_NODE_HOLDS_OBJECT (root) &&
			    json_object_has_member (json_node_get_object (root), "transactionId")) {
				g_free (tid);
				tid = g_strdup (json_object_get_string_member (json_node_get_object (root),
				                                               "transactionId"));
			}
		}
	}
	return 0;
}
