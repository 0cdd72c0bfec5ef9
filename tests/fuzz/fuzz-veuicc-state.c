/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the software eUICC's state file: the input is written
 * as the card's key file and loaded.  A file that loads must then give a card
 * that answers every ES10 function reading its state (profiles, notifications
 * with their signatures, eIMs, addresses, EUICCInfo2, listed EuiccPackageResults,
 * a rollback) with status words only,
 * never a crash; a file that does not load must be refused with a GError.
 *
 * The seeds in tests/fuzz/corpus/veuicc-state/ are files of a fresh card (its
 * throwaway test keys included) after a few ES10 changes, and one with the
 * [faults] group tests use to make the card refuse functions.
 */

#include <glib/gstdio.h>
#include <unistd.h>

#include "esim-util.h"
#include "esim-veuicc.h"

int LLVMFuzzerTestOneInput (const guint8 *data, gsize size);

#define MAX_GET_RESPONSES 64

static void
quiet_log (const gchar *log_domain, GLogLevelFlags log_level, const gchar *message,
           gpointer user_data)
{
}

static GBytes *
transmit (EsimVeuicc *card, const gchar *hex)
{
	g_autoptr(GBytes) command = esim_hex_decode (hex, NULL);
	GBytes *response = esim_veuicc_process_apdu (card, command);

	if (response == NULL || g_bytes_get_size (response) < 2)
		__builtin_trap ();
	return response;
}

/* One ES10 request, its answer fetched with GET RESPONSE as an IPA would. */
static void
run_es10 (EsimVeuicc *card, const gchar *store_data)
{
	g_autoptr(GBytes) response = transmit (card, store_data);

	for (guint i = 0; i < MAX_GET_RESPONSES; i++) {
		const guint8 *raw = g_bytes_get_data (response, NULL);
		gsize len = g_bytes_get_size (response);

		if (raw[len - 2] != 0x61)
			return;
		g_bytes_unref (response);
		response = transmit (card, "00C0000000");
	}
	__builtin_trap (); /* a response can never be that long */
}

int
LLVMFuzzerTestOneInput (const guint8 *data, gsize size)
{
	static gchar *path = NULL;
	static const gchar *const requests[] = {
		"80E2910003BF2D00", "80E2910003BF2B00", "80E2910003BF2800", "80E2910003BF5500",
		"80E2910003BF3C00", "80E2910003BF2200", "80E2910003BF2000", "80E2910003BF5600",
		"80E2910006BF3E035C015A",
		/* the signed EuiccPackageResults it lists, and the rollback it may have granted */
		"80E2910007BF2B04A0028200", "80E2910006BF58038001FF",
	};
	g_autoptr(EsimVeuicc) card = NULL;
	g_autoptr(GError) error = NULL;

	if (path == NULL) {
		/* the card warns about conditions the fuzzer provokes on purpose */
		g_log_set_default_handler (quiet_log, NULL);
		/* a directory of its own: loading lists the file's directory for leftovers */
		g_autofree gchar *dir = g_dir_make_tmp ("fuzz-veuicc-state-XXXXXX", NULL);
		if (dir == NULL)
			__builtin_trap ();
		path = g_build_filename (dir, "state.ini", NULL);
	}
	if (!g_file_set_contents (path, (const gchar *) data, (gssize) size, NULL))
		return 0;
	card = esim_veuicc_new_from_file (path, FALSE, &error);
	if (card == NULL) {
		if (error == NULL)
			__builtin_trap ();
		return 0;
	}
	g_bytes_unref (transmit (card, "00A4040C10A0000005591010FFFFFFFF8900000100"));
	for (guint i = 0; i < G_N_ELEMENTS (requests); i++)
		run_es10 (card, requests[i]);
	return 0;
}
