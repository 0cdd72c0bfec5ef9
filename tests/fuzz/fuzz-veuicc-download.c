/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: what an SM-DP+ sends a software eUICC during a download,
 * through the card's parsers.  The first byte picks the entry point:
 *   0  StoreMetadataRequest (veuicc_metadata_parse)
 *   1  profile elements (veuicc_profile_elements_iccid)
 *   2  ES10 requests after a GetEuiccChallenge, on a card with credentials:
 *      AuthenticateServer, PrepareDownload, CancelSession, package segments
 *   3  package segments into a package under way, protected with fixed keys
 *      (s-enc 11…, s-mac 22…, MCV 00…): seeds carry valid MACs, so mutations
 *      reach the metadata and profile checks behind them
 * Modes 2 and 3 read records: a 2-byte big-endian length, then the bytes;
 * mode 3 starts with 3 bytes of BF36 length still to come.  Every answer must
 * be a status word or data with 9000, never a crash.
 */

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

#include "esim-test-pki.h"
#include "esim-util.h"
#include "esim-veuicc-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, gsize size);

static gchar *pki_dir;

static void
quiet_log (const gchar *log_domain, GLogLevelFlags log_level, const gchar *message,
           gpointer user_data)
{
}

static void
remove_pki (void)
{
	/* files the PKI writer made, two levels deep */
	g_autoptr(GDir) top = g_dir_open (pki_dir, 0, NULL);
	const gchar *name;

	while (top != NULL && (name = g_dir_read_name (top)) != NULL) {
		g_autofree gchar *sub = g_build_filename (pki_dir, name, NULL);
		g_autoptr(GDir) dir = g_dir_open (sub, 0, NULL);
		const gchar *file;

		while (dir != NULL && (file = g_dir_read_name (dir)) != NULL) {
			g_autofree gchar *path = g_build_filename (sub, file, NULL);
			g_unlink (path);
		}
		g_rmdir (sub);
	}
	g_rmdir (pki_dir);
}

static void
init (void)
{
	EsimTestPkiOptions options = { .smdp_host = "smdp.test" };

	/* the card logs every refusal the fuzzer provokes */
	g_log_set_default_handler (quiet_log, NULL);
	pki_dir = g_dir_make_tmp ("fuzz-veuicc-download-XXXXXX", NULL);
	if (pki_dir == NULL || !esim_test_pki_write (pki_dir, &options, NULL, NULL))
		abort ();
	atexit (remove_pki);
}

/* Takes the next record; FALSE at the end. */
static gboolean
next_record (const guint8 **data, gsize *size, const guint8 **record, gsize *len)
{
	if (*size < 2)
		return FALSE;
	*len = MIN ((gsize) ((*data)[0] << 8 | (*data)[1]), *size - 2);
	*record = *data + 2;
	*data += 2 + *len;
	*size -= 2 + *len;
	return TRUE;
}

static void
run (EsimVeuicc *card, const guint8 *request, gsize len)
{
	guint16 sw = 0;
	g_autoptr(GBytes) answer = veuicc_es10_dispatch (card, request, len, &sw);

	if (sw != ESIM_SW_OK && answer != NULL)
		__builtin_trap ();
}

int
LLVMFuzzerTestOneInput (const guint8 *data, gsize size)
{
	static gboolean initialised = FALSE;
	EsimVeuiccOptions options = { 0 };
	g_autoptr(EsimVeuicc) card = NULL;
	const guint8 *record;
	gsize len;
	guint8 mode;

	if (!initialised) {
		init ();
		initialised = TRUE;
	}
	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	if (mode == 0) {
		guint reason = 0;
		g_autoptr(VeuiccMetadata) meta = veuicc_metadata_parse (data, size, &reason, NULL);

		if (meta != NULL && (meta->iccid == NULL || meta->name == NULL || meta->provider == NULL))
			__builtin_trap ();
		return 0;
	}
	if (mode == 1) {
		g_autofree gchar *iccid = veuicc_profile_elements_iccid (data, size, NULL);

		if (iccid != NULL && !esim_iccid_is_valid (iccid))
			__builtin_trap ();
		return 0;
	}
	options.credentials_dir = pki_dir;
	card = esim_veuicc_new_ephemeral_full (&options, NULL);
	if (card == NULL)
		abort ();
	if (mode == 2) {
		static const guint8 challenge[] = { 0xBF, 0x2E, 0x00 };

		run (card, challenge, sizeof (challenge));
	} else {
		EsimBspKeys keys;

		if (size < 3)
			return 0;
		memset (keys.s_enc, 0x11, sizeof (keys.s_enc));
		memset (keys.s_mac, 0x22, sizeof (keys.s_mac));
		memset (keys.mcv, 0x00, sizeof (keys.mcv));
		veuicc_bpp_begin_unverified (card, &keys, (gsize) data[0] << 16 | data[1] << 8 | data[2]);
		data += 3;
		size -= 3;
	}
	while (next_record (&data, &size, &record, &len))
		run (card, record, len);
	return 0;
}
