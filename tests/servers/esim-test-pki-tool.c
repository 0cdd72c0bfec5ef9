/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * esim-test-pki: writes a complete test PKI in the SGP.26 file layout for a
 * lab (a software eUICC and the test SM-DP+).  Everything it writes is for
 * tests only; its CI private key lies beside the CI certificate.
 */

#include <locale.h>
#include <stdio.h>

#include "esim-cert.h"
#include "esim-test-pki.h"
#include "esim-util.h"

int
main (int argc, char **argv)
{
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *host = NULL;
	g_autofree gchar *eid = NULL;
	g_autofree gchar *eid_used = NULL;
	g_autofree gchar *ci_path = NULL;
	g_autoptr(EsimCert) ci = NULL;
	g_autofree gchar *ci_pkid = NULL;
	gboolean expired = FALSE;
	gboolean foreign_ci = FALSE;
	EsimTestPkiOptions options = { 0 };
	const GOptionEntry entries[] = {
		{ "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Directory to write the PKI into", "DIR" },
		{ "smdp-host", 'H', 0, G_OPTION_ARG_STRING, &host,
		  "Host name of the SM-DP+ (DPtls subjectAltName)", "HOST" },
		{ "eid", 'e', 0, G_OPTION_ARG_STRING, &eid,
		  "EID of the eUICC (default: a fresh one in 89049032…)", "EID" },
		{ "expired", 0, 0, G_OPTION_ARG_NONE, &expired,
		  "Also write expired DPauth/DPtls certificates under Expired/", NULL },
		{ "foreign-ci", 0, 0, G_OPTION_ARG_NONE, &foreign_ci,
		  "Also write a second CI with its DP certificates under ForeignCI/", NULL },
		{ NULL }
	};

	setlocale (LC_ALL, "");
	context = g_option_context_new ("- write a test PKI in the SGP.26 file layout");
	g_option_context_set_description (context,
		"Writes CertificateIssuer/, EUM/, eUICC/, DPauth/, DPpb/ and DPtls/ with fresh\n"
		"NIST P-256 keys.  For tests and labs only: the CI's private key is written\n"
		"as CertificateIssuer/TEST_ONLY_SECRET_SK_CI_ECDSA_NIST.pem.");
	g_option_context_add_main_entries (context, entries, NULL);
	if (!g_option_context_parse (context, &argc, &argv, &error)) {
		g_printerr ("esim-test-pki: %s\n", error->message);
		return 2;
	}
	if (out == NULL || host == NULL || argc > 1) {
		g_printerr ("esim-test-pki: --out DIR and --smdp-host HOST are required (see --help)\n");
		return 2;
	}
	options.smdp_host = host;
	options.eid = eid;
	options.expired = expired;
	options.foreign_ci = foreign_ci;
	if (!esim_test_pki_write (out, &options, &eid_used, &error)) {
		g_printerr ("esim-test-pki: %s\n", error->message);
		return 1;
	}
	ci_path = g_build_filename (out, "CertificateIssuer", "CERT_CI_ECDSA_NIST.der", NULL);
	ci = esim_cert_new_from_file (ci_path, &error);
	if (ci == NULL) {
		g_printerr ("esim-test-pki: %s\n", error->message);
		return 1;
	}
	ci_pkid = esim_hex_encode_bytes (esim_cert_get_subject_key_id (ci));
	g_print ("test PKI written to %s\n", out);
	g_print ("EID: %s\n", eid_used);
	g_print ("SM-DP+ host: %s, OID %s\n", host, ESIM_TEST_PKI_SMDP_OID);
	g_print ("CI key ID: %s\n", ci_pkid);
	return 0;
}
