/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * esim-test-smdp: the test SM-DP+ as a standalone lab server.
 *
 *   esim-test-smdp --write-pki DIR --host HOST     a test PKI for it and a software eUICC
 *   esim-test-smdp --pki-dir DIR --profile MID …   serve ES9+ over HTTPS
 *
 * Everything it writes and serves is for tests and labs only: the CI's
 * private key lies next to the CI certificate.
 */

#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "esim-test-pki.h"
#include "esim-test-smdp.h"
#include "esim-util.h"

#define DEFAULT_LISTEN "127.0.0.1:8443"
#define SEED_NAME      "virtual-euicc.ini"

static const struct {
	const gchar *name;
	guint        fault;
} fault_names[] = {
	{ "bad-server-signature", ESIM_TEST_SMDP_FAULT_BAD_SERVER_SIGNATURE },
	{ "bad-smdp-signature2", ESIM_TEST_SMDP_FAULT_BAD_SMDP_SIGNATURE2 },
	{ "foreign-ci", ESIM_TEST_SMDP_FAULT_FOREIGN_CI },
	{ "expired-dpauth", ESIM_TEST_SMDP_FAULT_EXPIRED_DPAUTH },
	{ "drop-connection", ESIM_TEST_SMDP_FAULT_DROP_CONNECTION },
	{ "tamper-bpp", ESIM_TEST_SMDP_FAULT_TAMPER_BPP },
};

static gboolean
quit (gpointer user_data)
{
	g_main_loop_quit (user_data);
	return G_SOURCE_REMOVE;
}

/* A PKI for both sides, and the seed a software eUICC is made from. */
static int
write_pki (const gchar *dir, const gchar *host, const gchar *eid)
{
	EsimTestPkiOptions options = { .smdp_host = host, .eid = eid, .expired = TRUE, .foreign_ci = TRUE };
	g_autofree gchar *eid_used = NULL;
	g_autofree gchar *seed = g_build_filename (dir, SEED_NAME, NULL);
	g_autoptr(GError) error = NULL;

	if (!esim_test_pki_write (dir, &options, &eid_used, &error) ||
	    !g_file_set_contents_full (seed, "[card]\n# a software eUICC with the credentials of this "
	                               "directory (see esim-veuicc.h)\ncredentials=.\n", -1,
	                               G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error)) {
		g_printerr ("esim-test-smdp: %s\n", error->message);
		return 1;
	}
	g_print ("test PKI written to %s (EID %s, SM-DP+ host %s)\n", dir, eid_used, host);
	g_print ("software eUICC seed: %s\n", seed);
	g_print ("serve with:  esim-test-smdp --pki-dir %s --profile MATCHING-ID\n", dir);
	g_print ("card with:   esimd --virtual-euicc=%s (its TLS trust: %s/CertificateIssuer)\n", seed, dir);
	return 0;
}

static gboolean
add_profile (EsimTestSmdp *smdp, const gchar *spec, const gchar *eid, gboolean protect, GError **error)
{
	g_auto(GStrv) parts = g_strsplit (spec, ":", 2);
	EsimTestSmdpOrder order = {
		.matching_id = parts[0],
		.confirmation_code = parts[1],
		.eid = eid,
		.protect_in_advance = protect,
	};

	return esim_test_smdp_add_order (smdp, &order, error);
}

static gboolean
apply_fault (EsimTestSmdp *smdp, const gchar *name, guint *faults)
{
	if (g_str_has_prefix (name, "http-500:")) {
		esim_test_smdp_set_http_error (smdp, name + strlen ("http-500:"), 500);
		return TRUE;
	}
	for (guint i = 0; i < G_N_ELEMENTS (fault_names); i++) {
		if (g_str_equal (name, fault_names[i].name)) {
			*faults |= fault_names[i].fault;
			return TRUE;
		}
	}
	return FALSE;
}

static int
serve (const gchar *pki_dir, const gchar *host, const gchar *listen, const gchar *tls_set, GStrv profiles,
       GStrv faults, const gchar *eid, gboolean protect)
{
	EsimTestSmdpOptions options = { .pki_dir = pki_dir, .host = host, .tls_set = tls_set };
	g_autoptr(EsimTestSmdp) smdp = NULL;
	g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) ids = NULL;
	guint fault_mask = 0;

	smdp = esim_test_smdp_new (&options, &error);
	if (smdp == NULL || !esim_test_smdp_listen (smdp, listen, &error)) {
		g_printerr ("esim-test-smdp: %s\n", error->message);
		return 1;
	}
	for (guint i = 0; profiles != NULL && profiles[i] != NULL; i++) {
		if (!add_profile (smdp, profiles[i], eid, protect, &error)) {
			g_printerr ("esim-test-smdp: --profile %s: %s\n", profiles[i], error->message);
			return 2;
		}
	}
	if (profiles == NULL && !add_profile (smdp, "ESIMD-TEST-1", eid, protect, &error)) {
		g_printerr ("esim-test-smdp: %s\n", error->message);
		return 1;
	}
	for (guint i = 0; faults != NULL && faults[i] != NULL; i++) {
		if (!apply_fault (smdp, faults[i], &fault_mask)) {
			g_printerr ("esim-test-smdp: unknown fault %s (see --help)\n", faults[i]);
			return 2;
		}
	}
	esim_test_smdp_set_faults (smdp, fault_mask);
	g_print ("serving ES9+ at https://%s (listening on %s), SM-DP+ OID %s\n",
	         esim_test_smdp_get_address (smdp), listen, esim_test_smdp_get_oid (smdp));
	g_print ("activation codes:\n");
	ids = esim_test_smdp_dup_matching_ids (smdp);
	for (guint i = 0; ids[i] != NULL; i++) {
		g_autofree gchar *code = esim_test_smdp_get_activation_code (smdp, ids[i]);
		g_print ("  %s    (ICCID %s)\n", code, esim_test_smdp_get_order_iccid (smdp, ids[i]));
	}
	fflush (stdout);
	g_unix_signal_add (SIGINT, quit, loop);
	g_unix_signal_add (SIGTERM, quit, loop);
	g_main_loop_run (loop);
	return 0;
}

int
main (int argc, char **argv)
{
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *pki_dir = NULL;
	g_autofree gchar *write_dir = NULL;
	g_autofree gchar *host = NULL;
	g_autofree gchar *listen = NULL;
	g_autofree gchar *eid = NULL;
	g_autofree gchar *tls_set = NULL;
	g_auto(GStrv) profiles = NULL;
	g_auto(GStrv) faults = NULL;
	gboolean protect = FALSE;
	const GOptionEntry entries[] = {
		{ "write-pki", 0, 0, G_OPTION_ARG_FILENAME, &write_dir,
		  "Write a test PKI (SGP.26 layout) and a software eUICC seed into DIR, then exit", "DIR" },
		{ "pki-dir", 0, 0, G_OPTION_ARG_FILENAME, &pki_dir, "Serve with the test PKI in DIR", "DIR" },
		{ "host", 0, 0, G_OPTION_ARG_STRING, &host,
		  "Host name of the SM-DP+ (--write-pki: required; serving: default the DPtls name)", "HOST" },
		{ "listen", 0, 0, G_OPTION_ARG_STRING, &listen, "Address to listen on (default " DEFAULT_LISTEN ")",
		  "ADDR:PORT" },
		{ "profile", 0, 0, G_OPTION_ARG_STRING_ARRAY, &profiles,
		  "Serve a profile for this matching ID, with a confirmation code if given (repeatable; "
		  "default ESIMD-TEST-1)", "MATCHINGID[:CC]" },
		{ "eid", 0, 0, G_OPTION_ARG_STRING, &eid,
		  "--write-pki: the eUICC's EID; serving: only for this EID (an empty matching ID is "
		  "then its default order)", "EID" },
		{ "protect-in-advance", 0, 0, G_OPTION_ARG_NONE, &protect,
		  "Serve profiles protected in advance (ReplaceSessionKeys)", NULL },
		{ "tls", 0, 0, G_OPTION_ARG_STRING, &tls_set,
		  "Present the DPtls certificate of Expired or ForeignCI", "SET" },
		{ "fault", 0, 0, G_OPTION_ARG_STRING_ARRAY, &faults,
		  "bad-server-signature, bad-smdp-signature2, foreign-ci, expired-dpauth, drop-connection, "
		  "tamper-bpp, http-500:FUNCTION (repeatable)", "NAME" },
		{ NULL }
	};

	setlocale (LC_ALL, "");
	context = g_option_context_new ("- the test SM-DP+ (ES9+ over HTTPS) for labs and tests");
	g_option_context_set_description (context,
		"Lab in three steps:\n"
		"  esim-test-smdp --write-pki lab --host localhost\n"
		"  esim-test-smdp --pki-dir lab --profile DEMO-1 --profile DEMO-CC:1234\n"
		"  esimd --session --virtual-euicc=lab/" SEED_NAME "  (and esimcli profile download CODE)\n"
		"For tests and labs only: the CI's private key is in the PKI directory.");
	g_option_context_add_main_entries (context, entries, NULL);
	if (!g_option_context_parse (context, &argc, &argv, &error)) {
		g_printerr ("esim-test-smdp: %s\n", error->message);
		return 2;
	}
	if (argc > 1 || (write_dir == NULL) == (pki_dir == NULL)) {
		g_printerr ("esim-test-smdp: give --write-pki DIR --host HOST, or --pki-dir DIR (see --help)\n");
		return 2;
	}
	if (write_dir != NULL) {
		if (host == NULL) {
			g_printerr ("esim-test-smdp: --write-pki needs --host HOST (the DPtls name)\n");
			return 2;
		}
		if (eid != NULL && !esim_eid_is_valid (eid)) {
			g_printerr ("esim-test-smdp: --eid %s is not a valid EID\n", eid);
			return 2;
		}
		return write_pki (write_dir, host, eid);
	}
	return serve (pki_dir, host, listen != NULL ? listen : DEFAULT_LISTEN, tls_set, profiles, faults, eid,
	              protect);
}
