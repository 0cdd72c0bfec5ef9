/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for what a card does with a bound profile package from
 * the network: InitialiseSecureChannelRequest parsing, BF36 structure, BSP
 * verify-and-decrypt of every 86/87/88 TLV, ReplaceSessionKeys.
 *
 * The session keys are fixed (pySim's BSP_Test_mode51 keys), so the seed
 * corpus in tests/fuzz/corpus/bsp/ holds packages built with them: mutations
 * of a valid package get past the first MAC only as far as they stay valid,
 * and the structure code sees every shape.  The input is also fed to each
 * unwrap on its own and to the two small parsers.
 */

#include <string.h>

#include "esim-bpp.h"
#include "esim-bsp.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static const EsimBspKeys keys = {
	.s_enc = { 0x47, 0x2f, 0x5b, 0xfa, 0xdd, 0x97, 0xf2, 0x1d, 0x34, 0xf3, 0xce, 0x9b, 0x51, 0xb9, 0x27, 0x51 },
	.s_mac = { 0x9e, 0xc0, 0x7f, 0x5b, 0x36, 0xa1, 0x3e, 0x12, 0xa9, 0x91, 0xd6, 0x6e, 0x29, 0x4e, 0x62, 0x42 },
	.mcv = { 0x40, 0x6d, 0x50, 0x7b, 0x44, 0x8a, 0x69, 0x9e, 0x7a, 0x36, 0xa3, 0x84, 0x94, 0xde, 0xbb, 0xde },
};

static void
fuzz_segment (const guint8 *data, gsize size)
{
	static const guint8 tags[] = { 0x86, 0x87, 0x88 };

	for (guint i = 0; i < G_N_ELEMENTS (tags); i++) {
		for (guint encrypted = 0; encrypted <= 1; encrypted++) {
			g_autoptr(EsimBsp) bsp = esim_bsp_new (&keys);
			g_autoptr(GBytes) plain = esim_bsp_unwrap (bsp, tags[i], encrypted, data, size, NULL);

			/* a failure ends the session */
			g_assert (plain != NULL || esim_bsp_is_aborted (bsp));
			if (plain != NULL)
				g_assert (g_bytes_get_size (plain) < size);
		}
	}
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
	g_autofree guint8 *copy = g_memdup2 (data, size);
	g_autoptr(EsimBppPlain) plain = NULL;
	g_autoptr(EsimBppParts) parts = NULL;
	g_autoptr(EsimInitSecureChannel) iscr = NULL;
	EsimBppCommand failed = ESIM_BPP_COMMAND_INITIALISE_SECURE_CHANNEL;
	g_autoptr(GError) error = NULL;
	EsimBspKeys ppk;

	plain = esim_bpp_open (&keys, copy, size, &failed, &error);
	g_assert ((plain == NULL) == (error != NULL));
	if (error != NULL)
		g_assert (esim_bpp_error_reason (error) != ESIM_BPP_REASON_UNKNOWN_ERROR);
	parts = esim_bpp_split (copy, size, NULL);
	if (parts != NULL) {
		iscr = esim_init_secure_channel_parse (g_bytes_get_data (parts->init_secure_channel, NULL),
		                                       g_bytes_get_size (parts->init_secure_channel), NULL);
		if (iscr != NULL) {
			g_autoptr(GBytes) signed_data = esim_init_secure_channel_signed_data (iscr, iscr->smdp_otpk);

			g_assert (g_bytes_get_size (signed_data) > g_bytes_get_size (iscr->signed_part));
		}
	}
	g_clear_pointer (&iscr, esim_init_secure_channel_free);
	iscr = esim_init_secure_channel_parse (copy, size, NULL);
	(void) esim_bsp_parse_replace_session_keys (copy, size, &ppk, NULL);
	fuzz_segment (copy, size);
	return 0;
}
