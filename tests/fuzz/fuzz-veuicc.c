/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: APDU sequences against a fresh ephemeral software eUICC.
 *
 * Input format: a sequence of records, each one length byte L followed by L
 * bytes of command APDU (a last record shorter than L uses what is left).
 * L = 0 is not an APDU but a card reset (esim_veuicc_reset()), so sequences
 * can also cover the state the reset leaves behind.
 *
 * Every response must be at least the two status bytes.  The seed corpus in
 * tests/fuzz/corpus/veuicc/ holds real sequences: SELECT + ES10 functions +
 * GET RESPONSE, segmented STORE DATA, channel juggling.
 */

#include "esim-veuicc.h"

int LLVMFuzzerTestOneInput (const guint8 *data, gsize size);

static void
quiet_log (const gchar *log_domain, GLogLevelFlags log_level, const gchar *message,
           gpointer user_data)
{
}

int
LLVMFuzzerTestOneInput (const guint8 *data, gsize size)
{
	static gboolean initialised = FALSE;
	g_autoptr(EsimVeuicc) card = NULL;
	gsize pos = 0;

	if (!initialised) {
		/* the card logs warnings for conditions the fuzzer provokes on purpose */
		g_log_set_default_handler (quiet_log, NULL);
		initialised = TRUE;
	}
	card = esim_veuicc_new_ephemeral ();
	if (card == NULL)
		return 0;
	while (pos < size) {
		gsize len = data[pos++];
		g_autoptr(GBytes) command = NULL;
		g_autoptr(GBytes) response = NULL;

		if (len == 0) {
			esim_veuicc_reset (card);
			continue;
		}
		len = MIN (len, size - pos);
		command = g_bytes_new (data + pos, len);
		pos += len;
		response = esim_veuicc_process_apdu (card, command);
		if (response == NULL || g_bytes_get_size (response) < 2)
			__builtin_trap ();
	}
	return 0;
}
