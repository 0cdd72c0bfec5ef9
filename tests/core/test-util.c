/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hex, ICCID/EID codecs and personal-data masking. */

#include <string.h>

#include <gio/gio.h>

#include "esim-util.h"

static void
test_util_hex (void)
{
	const guint8 data[] = { 0x00, 0x01, 0xAB, 0xFF, 0x7f };
	g_autofree gchar *str = esim_hex_encode (data, sizeof (data));
	g_autofree gchar *empty = esim_hex_encode (NULL, 0);
	g_autoptr(GBytes) back = NULL;
	g_autoptr(GBytes) spaced = NULL;
	g_autoptr(GBytes) nothing = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *again = NULL;
	const gchar *bad[] = { "ABC", "0G", "12 3", "0x12" };

	g_assert_cmpstr (str, ==, "0001ABFF7F");
	g_assert_cmpstr (empty, ==, "");
	back = esim_hex_decode ("0001abFF7F", &error);
	g_assert_no_error (error);
	g_assert_cmpmem (g_bytes_get_data (back, NULL), g_bytes_get_size (back), data, sizeof (data));
	spaced = esim_hex_decode (" 00 01\tAB ff\n7F ", &error);
	g_assert_no_error (error);
	again = esim_hex_encode_bytes (spaced);
	g_assert_cmpstr (again, ==, "0001ABFF7F");
	nothing = esim_hex_decode ("", &error);
	g_assert_no_error (error);
	g_assert_cmpuint (g_bytes_get_size (nothing), ==, 0);

	for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr(GError) error_local = NULL;
		g_autoptr(GBytes) b = esim_hex_decode (bad[i], &error_local);
		g_assert_null (b);
		g_assert_error (error_local, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
	}
}

static void
test_util_iccid_roundtrip (void)
{
	struct {
		const gchar *iccid;
		const gchar *canonical; /* the digits read back */
		const gchar *bcd;
	} cases[] = {
		/* V4 / V7: 19 digits, F in the high nibble of the last byte */
		{ "8988308650122898710", "8988308650122898710", "988803680521828917F0" },
		{ "8988308650122898710F", "8988308650122898710", "988803680521828917F0" },
		{ "8935677026214944015", "8935677026214944015", "985376076212944410F5" },
		/* 20 digits (V7 first profile, pySim profile 1) */
		{ "89000123456789012341", "89000123456789012341", "98001032547698103214" },
		/* 18 digits: still 10 bytes, a full FF pad byte (lpac#457) */
		{ "894944999999999003", "894944999999999003", "989444999999990930FF" },
		{ "894944999999999003ff", "894944999999999003", "989444999999990930FF" },
		/* pySim profile 2, 19 digits */
		{ "8949449999999990031", "8949449999999990031", "989444999999990930F1" },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *bcd_hex = NULL;
		g_autofree gchar *back = NULL;
		guint8 bcd[10];

		g_assert_true (esim_iccid_is_valid (cases[i].iccid));
		g_assert_true (esim_iccid_to_bcd (cases[i].iccid, bcd, &error));
		g_assert_no_error (error);
		bcd_hex = esim_hex_encode (bcd, sizeof (bcd));
		g_assert_cmpstr (bcd_hex, ==, cases[i].bcd);
		back = esim_iccid_from_bcd (bcd, sizeof (bcd), &error);
		g_assert_no_error (error);
		g_assert_cmpstr (back, ==, cases[i].canonical);
	}
}

static void
test_util_iccid_invalid (void)
{
	const gchar *bad[] = {
		NULL,
		"",
		"89883086501228987",      /* 17 digits */
		"898830865012289871234",  /* 21 digits */
		"8988308650122898710FF",  /* 21 characters */
		"89883086501228987F10",   /* F not at the end */
		"8988308650122898710A",   /* not a digit */
		"89883086501228987 10",
		"-988308650122898710",
	};
	const gchar *bad_bcd[] = {
		"9888036805218289",       /* 8 bytes */
		"988803680521828917F0FF", /* 11 bytes */
		"98880368052182F917F0",   /* F then digits */
		"988803680521828917A0",   /* A nibble */
		"98880368052182FFFFFF",   /* only 14 digits */
		"FFFFFFFFFFFFFFFFFFFF",
	};

	for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr(GError) error = NULL;
		guint8 bcd[10];

		g_assert_false (esim_iccid_is_valid (bad[i]));
		g_assert_false (esim_iccid_to_bcd (bad[i], bcd, &error));
		g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	}
	for (guint i = 0; i < G_N_ELEMENTS (bad_bcd); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GBytes) bytes = esim_hex_decode (bad_bcd[i], NULL);
		g_autofree gchar *iccid = NULL;

		g_assert_nonnull (bytes);
		iccid = esim_iccid_from_bcd (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
					     &error);
		g_assert_null (iccid);
		g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
	}
}

static void
test_util_iccid_nine_bytes (void)
{
	/* an 18-digit ICCID sent one byte short (the lpac#457 shape) is still readable */
	const guint8 bcd[9] = { 0x98, 0x94, 0x44, 0x99, 0x99, 0x99, 0x99, 0x09, 0x30 };
	g_autoptr(GError) error = NULL;
	g_autofree gchar *iccid = esim_iccid_from_bcd (bcd, sizeof (bcd), &error);

	g_assert_no_error (error);
	g_assert_cmpstr (iccid, ==, "894944999999999003");
}

static void
test_util_eid_checksum (void)
{
	const gchar *valid[] = {
		"89049032123451234512345678901235",
		"89086030202200000022000023022943",
		"89044045116727494800000004479366",
		"89049032000000000000279973200019", /* V1–V5 card */
		"89044045930000000000002153893210", /* V7 card */
		"89049044900000000000000000102355", /* pySim get_eid */
	};
	const gchar *invalid[] = {
		"89049032123451234512345678901234",
		"8904903212345123451234567890123",   /* 31 digits */
		"890490321234512345123456789012355", /* 33 digits */
		"8904903212345123451234567890123A",
		"",
		NULL,
	};

	for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
		g_assert_true (esim_eid_is_valid (valid[i]));
	for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
		g_assert_false (esim_eid_is_valid (invalid[i]));
}

static void
test_util_eid_bytes (void)
{
	const gchar *eid = "89049032000000000000279973200019";
	const guint8 expected[16] = { 0x89, 0x04, 0x90, 0x32, 0x00, 0x00, 0x00, 0x00,
				      0x00, 0x00, 0x27, 0x99, 0x73, 0x20, 0x00, 0x19 };
	const guint8 not_bcd[16] = { 0x89, 0x04, 0x90, 0x32, 0x00, 0x00, 0x00, 0x00,
				     0x00, 0x00, 0x27, 0x99, 0x73, 0x20, 0x00, 0x1A };
	g_autoptr(GError) error = NULL;
	g_autofree gchar *back = NULL;
	g_autofree gchar *bad = NULL;
	g_autofree gchar *short_eid = NULL;
	guint8 out[16];

	g_assert_true (esim_eid_to_bytes (eid, out, &error));
	g_assert_no_error (error);
	g_assert_cmpmem (out, sizeof (out), expected, sizeof (expected));
	back = esim_eid_from_bytes (out, sizeof (out), &error);
	g_assert_no_error (error);
	g_assert_cmpstr (back, ==, eid);

	bad = esim_eid_from_bytes (not_bcd, sizeof (not_bcd), &error);
	g_assert_null (bad);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
	g_clear_error (&error);
	short_eid = esim_eid_from_bytes (expected, 15, &error);
	g_assert_null (short_eid);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
	g_clear_error (&error);
	g_assert_false (esim_eid_to_bytes ("8904903200000000000027997320001", out, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

static void
test_util_eid_generate (void)
{
	g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

	for (guint i = 0; i < 200; i++) {
		g_autofree gchar *eid = esim_eid_generate ("89049032");

		g_assert_nonnull (eid);
		g_assert_cmpuint (strlen (eid), ==, 32);
		g_assert_true (g_str_has_prefix (eid, "89049032"));
		g_assert_true (esim_eid_is_valid (eid));
		g_hash_table_add (seen, g_steal_pointer (&eid));
	}
	/* 22 random digits: 200 draws must not collide */
	g_assert_cmpuint (g_hash_table_size (seen), ==, 200);
}

static void
test_util_mask (void)
{
	g_autofree gchar *masked = NULL;
	g_autofree gchar *shown = NULL;
	g_autofree gchar *none = NULL;
	g_autofree gchar *tiny = NULL;
	g_autofree gchar *seven = NULL;
	g_autofree gchar *utf8 = NULL;

	esim_log_set_personal_info (FALSE);
	g_assert_false (esim_log_get_personal_info ());
	masked = esim_log_personal ("89049032000000000000279973200019");
	g_assert_cmpstr (masked, ==, "8904…19");
	none = esim_log_personal (NULL);
	g_assert_cmpstr (none, ==, "(none)");
	tiny = esim_log_personal ("123456");
	g_assert_cmpstr (tiny, ==, "…");
	seven = esim_log_personal ("1234567");
	g_assert_cmpstr (seven, ==, "1234…67");
	utf8 = esim_log_personal ("ééééxyzàà");
	g_assert_cmpstr (utf8, ==, "éééé…àà");

	esim_log_set_personal_info (TRUE);
	g_assert_true (esim_log_get_personal_info ());
	shown = esim_log_personal ("89049032000000000000279973200019");
	g_assert_cmpstr (shown, ==, "89049032000000000000279973200019");
	esim_log_set_personal_info (FALSE);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/esim/util/hex", test_util_hex);
	g_test_add_func ("/esim/util/iccid-roundtrip", test_util_iccid_roundtrip);
	g_test_add_func ("/esim/util/iccid-invalid", test_util_iccid_invalid);
	g_test_add_func ("/esim/util/iccid-nine-bytes", test_util_iccid_nine_bytes);
	g_test_add_func ("/esim/util/eid-checksum", test_util_eid_checksum);
	g_test_add_func ("/esim/util/eid-bytes", test_util_eid_bytes);
	g_test_add_func ("/esim/util/eid-generate", test_util_eid_generate);
	g_test_add_func ("/esim/util/mask", test_util_mask);
	return g_test_run ();
}
