/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The software eUICC at APDU level: hand-built command APDUs in, exact bytes
 * out.  Expected encodings are written out from the ASN.1 here rather than
 * produced by the ES10 client library (which is tested against this card
 * elsewhere), so the two sides cannot agree on a wrong encoding.
 */

#include <glib/gstdio.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>

#include "esim-channel-virtual.h"
#include "esim-der.h"
#include "esim-test-wait.h"
#include "esim-util.h"
#include "esim-veuicc.h"

#define ISDR_AID "A0000005591010FFFFFFFF8900000100"
#define SELECT_ISDR(cla) cla "A4040010" ISDR_AID

/* Demo content of a fresh card */
#define ICCID_OP "8944476500000000013"
#define ICCID_OP_BCD "984474560000000010F3"
#define ICCID_TEST "89444765000000000223"
#define ICCID_TEST_BCD "98447456000000002032"
#define AID_OP "A0000005591010FFFFFFFF8900001000"
#define AID_TEST "A0000005591010FFFFFFFF8900001100"
#define E3_OP "E3435A0A" ICCID_OP_BCD "4F10" AID_OP "9F700101910A6573696D642064656D6F" \
              "921044656D6F204F7065726174696F6E616C950102"
#define E3_TEST "E33C5A0A" ICCID_TEST_BCD "4F10" AID_TEST "9F700100910A6573696D642064656D6F" \
                "920944656D6F2054657374950100"
#define ADDRESS "0C10736D64702E6578616D706C652E636F6D" /* "smdp.example.com" */

/* AddInitialEimRequest shipped with onomondo-ipa (vectors.md V16) */
#define V16_CONFIG "3078800365494D810E3132372E302E302E313A383030308301018401FFA55BA059301306072A8648" \
                   "CE3D020106082A8648CE3D03010703420004FE584A6F450459574AECA195D0299737F74C89BA2D36" \
                   "DF9286EC25D973037A0FBA70D14DF3E1F7D0A305E57B95B731C4DE218D2D7F9F22113ED5D18C2E3D" \
                   "DF1C"
#define V16 "BF577CA07A" V16_CONFIG

/* ---- helpers -------------------------------------------------------------------------------- */

static GBytes *
hex_bytes (const gchar *hex)
{
	g_autoptr(GError) error = NULL;
	GBytes *bytes = esim_hex_decode (hex, &error);
	g_assert_no_error (error);
	g_assert_nonnull (bytes);
	return bytes;
}

/* One APDU; the response (data + SW) as upper-case hex. */
static gchar *
transmit (EsimVeuicc *card, const gchar *hex)
{
	g_autoptr(GBytes) command = hex_bytes (hex);
	g_autoptr(GBytes) response = esim_veuicc_process_apdu (card, command);
	g_assert_nonnull (response);
	g_assert_cmpuint (g_bytes_get_size (response), >=, 2);
	return esim_hex_encode_bytes (response);
}

/* Expected hex may contain spaces for readability. */
static gchar *
strip_spaces (const gchar *hex)
{
	GString *out = g_string_new (NULL);
	for (const gchar *p = hex; *p != '\0'; p++) {
		if (*p != ' ')
			g_string_append_c (out, *p);
	}
	return g_string_free (out, FALSE);
}

#define assert_apdu(card, command, expected) \
	G_STMT_START { \
		g_autofree gchar *_response = transmit ((card), (command)); \
		g_autofree gchar *_expected = strip_spaces (expected); \
		g_assert_cmpstr (_response, ==, _expected); \
	} G_STMT_END

static guint16
response_sw (GBytes *response)
{
	const guint8 *data = g_bytes_get_data (response, NULL);
	gsize len = g_bytes_get_size (response);
	return (guint16) ((data[len - 2] << 8) | data[len - 1]);
}

/* Runs one ES10 request as STORE DATA blocks of @segment bytes on @channel and
 * collects the answer with GET RESPONSE (CLA @gr_cla | channel, Le from 61xx).
 * Returns the response TLV as hex and the final status word. */
static gchar *
es10_full (EsimVeuicc *card, guint channel, const gchar *request_hex, gsize segment,
           guint8 gr_cla, guint16 *sw)
{
	g_autoptr(GBytes) request = hex_bytes (request_hex);
	g_autoptr(GByteArray) answer = g_byte_array_new ();
	const guint8 *data = g_bytes_get_data (request, NULL);
	gsize len = g_bytes_get_size (request);
	gsize offset = 0;
	guint block = 0;

	do {
		gsize n = MIN (segment, len - offset);
		gboolean last = offset + n == len;
		guint8 header[5] = { 0x80 | channel, 0xE2, last ? 0x91 : 0x11, block, n };
		g_autoptr(GByteArray) command = g_byte_array_new ();
		g_autoptr(GBytes) command_bytes = NULL;
		g_autoptr(GBytes) response = NULL;

		g_byte_array_append (command, header, 5);
		g_byte_array_append (command, data + offset, n);
		command_bytes = g_byte_array_free_to_bytes (g_steal_pointer (&command));
		response = esim_veuicc_process_apdu (card, command_bytes);
		*sw = response_sw (response);
		if (!last) {
			g_assert_cmpuint (g_bytes_get_size (response), ==, 2);
			g_assert_cmphex (*sw, ==, 0x9000);
		}
		offset += n;
		block++;
	} while (offset < len);

	while ((*sw >> 8) == 0x61) {
		guint8 get_response[5] = { gr_cla | channel, 0xC0, 0x00, 0x00, *sw & 0xFF };
		g_autoptr(GBytes) command = g_bytes_new (get_response, 5);
		g_autoptr(GBytes) response = esim_veuicc_process_apdu (card, command);
		gsize n = g_bytes_get_size (response);
		g_byte_array_append (answer, g_bytes_get_data (response, NULL), n - 2);
		*sw = response_sw (response);
	}
	return esim_hex_encode (answer->data, answer->len);
}

/* ES10 on channel 0 (ISD-R selected by new_card()); asserts 9000. */
static gchar *
es10 (EsimVeuicc *card, const gchar *request_hex)
{
	guint16 sw = 0;
	gchar *answer = es10_full (card, 0, request_hex, 255, 0x00, &sw);
	g_assert_cmphex (sw, ==, 0x9000);
	return answer;
}

#define assert_es10(card, request, expected) \
	G_STMT_START { \
		g_autofree gchar *_answer = es10 ((card), (request)); \
		g_autofree gchar *_expected = strip_spaces (expected); \
		g_assert_cmpstr (_answer, ==, _expected); \
	} G_STMT_END

static void
select_isdr (EsimVeuicc *card, const gchar *cla)
{
	g_autofree gchar *command = g_strdup_printf ("%sA4040010" ISDR_AID, cla);
	g_autofree gchar *response = transmit (card, command);
	/* 6127 with an enabled profile, 6126 without (see test_select) */
	g_assert_true (g_str_equal (response, "6127") || g_str_equal (response, "6126"));
}

static EsimVeuicc *
new_card (void)
{
	EsimVeuicc *card = esim_veuicc_new_ephemeral ();
	g_assert_nonnull (card);
	select_isdr (card, "00");
	/* drop the FCI */
	assert_apdu (card, "00C0000027", "6F258410" ISDR_AID "A5119F6501FFE005820302050 0E10480020640"
	             "9000");
	return card;
}

/* The value of the first TLV in @hex with @tag among the children of the outer TLV(s) given
 * as a path of tags, as hex; NULL when absent. */
static gchar *
tlv_path (const gchar *hex, const EsimTag *path, guint n_path)
{
	g_autoptr(GBytes) bytes = hex_bytes (hex);
	g_autoptr(GError) error = NULL;
	EsimTlv tlv;

	g_assert_true (esim_tlv_parse_exact (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
	                                     &tlv, &error));
	g_assert_no_error (error);
	for (guint i = 0; i < n_path; i++) {
		EsimTlv child;
		if (!esim_tlv_find (&tlv, path[i], &child, &error)) {
			g_assert_no_error (error);
			return NULL;
		}
		tlv = child;
	}
	return esim_hex_encode (tlv.raw, tlv.raw_len);
}

static guint
count_children (const gchar *hex, EsimTag list_tag, EsimTag item_tag)
{
	g_autoptr(GBytes) bytes = hex_bytes (hex);
	g_autoptr(GError) error = NULL;
	EsimTlv tlv, list, child;
	EsimTlvIter iter;
	guint n = 0;

	g_assert_true (esim_tlv_parse_exact (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
	                                     &tlv, &error));
	g_assert_true (esim_tlv_find (&tlv, list_tag, &list, &error));
	esim_tlv_iter_init (&iter, &list);
	while (esim_tlv_iter_next (&iter, &child, &error)) {
		g_assert_cmphex (child.tag, ==, item_tag);
		n++;
	}
	g_assert_no_error (error);
	return n;
}

static gchar *
tmp_state_path (gchar **dir)
{
	g_autoptr(GError) error = NULL;
	*dir = g_dir_make_tmp ("test-veuicc-XXXXXX", &error);
	g_assert_no_error (error);
	return g_build_filename (*dir, "card.ini", NULL);
}

static void
rm_tmp (const gchar *dir, const gchar *path)
{
	g_unlink (path);
	g_rmdir (dir);
}

/* ---- APDU layer ----------------------------------------------------------------------------- */

static void
test_channels (void)
{
	g_autoptr(EsimVeuicc) card = esim_veuicc_new_ephemeral ();

	/* lowest free channel first; exhaustion gives 6A81 */
	assert_apdu (card, "0070000001", "019000");
	assert_apdu (card, "0070000001", "029000");
	assert_apdu (card, "0070000001", "039000");
	assert_apdu (card, "0070000001", "6A81");
	assert_apdu (card, "0070800200", "9000");
	assert_apdu (card, "02A4040010" ISDR_AID, "6881");   /* closed channel */
	assert_apdu (card, "0070000001", "029000");
	assert_apdu (card, "0070800200", "9000");
	assert_apdu (card, "0070800200", "6881");            /* not open */
	assert_apdu (card, "0070800000", "6A86");            /* the basic channel stays */
	assert_apdu (card, "0070800500", "6881");            /* channels 4–19 unsupported */
	assert_apdu (card, "0070000200", "9000");            /* open a chosen channel */
	assert_apdu (card, "0070000200", "6A81");
	assert_apdu (card, "0070000400", "6881");
	assert_apdu (card, "0070400000", "6A86");            /* bad P1 */
	assert_apdu (card, "8070000001", "6E00");            /* proprietary class */
	assert_apdu (card, "007000000101", "6700");          /* no data allowed */
	/* CLA codings for channels 4–19, secure messaging, chaining, other classes */
	assert_apdu (card, "40A4040010" ISDR_AID, "6881");
	assert_apdu (card, "C0E2910003BF3E00", "6881");
	assert_apdu (card, "04A4040010" ISDR_AID, "6882");
	assert_apdu (card, "10A4040010" ISDR_AID, "6884");
	assert_apdu (card, "A0A4040010" ISDR_AID, "6E00");
	assert_apdu (card, "FFA4040010" ISDR_AID, "6E00");

	/* a channel opened from one with the ISD-R selected inherits it */
	assert_apdu (card, "0070800200", "9000");
	select_isdr (card, "03");
	assert_apdu (card, "0370000001", "029000");
	assert_apdu (card, "82E2910003BF3E00", "6115");
	/* opened from the basic channel: nothing selected */
	assert_apdu (card, "0070800100", "9000");
	assert_apdu (card, "0070000001", "019000");
	assert_apdu (card, "81E2910003BF3E00", "6985");
}

static void
test_select (void)
{
	g_autoptr(EsimVeuicc) card = esim_veuicc_new_ephemeral ();

	assert_apdu (card, "0070000001", "019000");
	assert_apdu (card, "01A4040010A0000005591010FFFFFFFF8900000200", "6A82");
	assert_apdu (card, "01A4040005A000000559", "6A82");
	assert_apdu (card, "81E2910003BF3E00", "6985");
	assert_apdu (card, "01C0000010", "6985");
	/* FCI with the SGP.22 E0 and SGP.32 E1 templates; a profile is enabled */
	assert_apdu (card, SELECT_ISDR ("01"), "6127");
	assert_apdu (card, "01C0000027", "6F258410" ISDR_AID "A5119F6501FFE0058203020500E10480020640"
	             "9000");
	/* case 4 with Le, P2=04 (onomondo-ipa), P2=0C (no data) */
	assert_apdu (card, "01A4040410" ISDR_AID "00", "6127");
	assert_apdu (card, "01A4040C10" ISDR_AID, "9000");
	/* a failed SELECT keeps the current selection */
	assert_apdu (card, "01A4040010A0000005591010FFFFFFFF8900000200", "6A82");
	assert_apdu (card, "81E2910003BF3E00", "6115");
	assert_apdu (card, "01A4000002 3F00", "6A86");
	assert_apdu (card, "01A4040110" ISDR_AID, "6A86");
	assert_apdu (card, "01A40400", "6700");
	assert_apdu (card, "01A4040010A000", "6700");
	assert_apdu (card, "80A4040010" ISDR_AID, "6E00");
	/* the basic channel can hold the ISD-R too (onomondo-ipa) */
	assert_apdu (card, SELECT_ISDR ("00"), "6127");

	/* no profile enabled: enabledProfile bit cleared */
	{
		g_autofree gchar *answer = NULL;
		guint16 sw = 0;
		answer = es10_full (card, 1, "BF3211A00C5A0A" ICCID_OP_BCD "8101FF", 255, 0x00, &sw);
		g_assert_cmpstr (answer, ==, "BF3203800100");
		assert_apdu (card, SELECT_ISDR ("01"), "6126");
		assert_apdu (card, "01C0000026", "6F248410" ISDR_AID "A5109F6501FFE0058203020500E103800100"
		             "9000");
	}
}

static void
test_malformed_apdus (void)
{
	g_autoptr(EsimVeuicc) card = new_card ();

	assert_apdu (card, "", "6700");
	assert_apdu (card, "80E291", "6700");
	assert_apdu (card, "80E2910005BF3E00", "6700");        /* Lc longer than data */
	assert_apdu (card, "80E2910002BF3E0000", "6700");      /* neither case 3 nor 4 */
	assert_apdu (card, "80E2910000000003BF3E00", "6700");  /* extended length */
	assert_apdu (card, "80E29100", "6700");                /* STORE DATA without data */
	assert_apdu (card, "80CA00FE00", "6D00");              /* unknown INS */
	assert_apdu (card, "00B0000010", "6D00");
	assert_apdu (card, "00E2910003BF3E00", "6E00");        /* STORE DATA needs the GP class */
	assert_apdu (card, "80E2010003BF3E00", "6A86");        /* unknown P1 */
	/* TERMINAL CAPABILITY as lpac and onomondo-ipa send it */
	assert_apdu (card, "80AA00000AA9088100820101830107", "9000");
	assert_apdu (card, "80AA000005A903830107", "9000");
	assert_apdu (card, "80AA000003A90583", "6A80");
	assert_apdu (card, "80AA010005A903830107", "6A86");
	assert_apdu (card, "00AA000005A903830107", "6E00");
	/* ES10 level: not a TLV, trailing bytes, an unknown function */
	assert_apdu (card, "80E2910002BF3E", "6A80");
	assert_apdu (card, "80E2910004BF3E0000", "6A80");
	assert_apdu (card, "80E2910003BF7F00", "6A80");
	assert_apdu (card, "80E29100015A", "6A80");
}

static void
test_store_data_segmentation (void)
{
	g_autoptr(EsimVeuicc) card = new_card ();
	g_autofree gchar *expected = g_strdup_printf ("BF3E125A10%s9000", esim_veuicc_get_eid (card));

	/* GetEID in three blocks: intermediate blocks answer 9000 without data */
	assert_apdu (card, "80E2110002BF3E", "9000");
	assert_apdu (card, "80E211010103", "9000");
	assert_apdu (card, "80E29102035C015A", "6115");
	assert_apdu (card, "00C0000015", expected);

	/* a skipped block number is refused and drops the request */
	assert_apdu (card, "80E2110002BF3E", "9000");
	assert_apdu (card, "80E2910204035C015A", "6A86");
	assert_apdu (card, "80E2910104035C015A", "6A86");
	/* block 0 always starts a new request */
	assert_apdu (card, "80E2110002BF3E", "9000");
	assert_apdu (card, "80E2110002BF3E", "9000");
	assert_apdu (card, "80E291010403 5C015A", "6115");
	/* lpac's GET RESPONSE class 8x works too (vectors.md conflicts §4) */
	assert_apdu (card, "80C0000015", expected);
	/* nothing held any more */
	assert_apdu (card, "00C0000015", "6985");

	/* a block number that does not start at 0 */
	assert_apdu (card, "80E2910103BF3E00", "6A86");
	/* channel 1: same sequence with 1-byte segments */
	assert_apdu (card, "0070000001", "019000");
	select_isdr (card, "01");
	{
		guint16 sw = 0;
		g_autofree gchar *answer = es10_full (card, 1, "BF3E035C015A", 1, 0x80, &sw);
		g_autofree gchar *expected_tlv = g_strdup_printf ("BF3E125A10%s", esim_veuicc_get_eid (card));
		g_assert_cmphex (sw, ==, 0x9000);
		g_assert_cmpstr (answer, ==, expected_tlv);
	}
	/* a held response is dropped by the next command on its channel */
	assert_apdu (card, "81E2910003BF3E00", "6115");
	assert_apdu (card, "81E2910003BF3E00", "6115");
	assert_apdu (card, "01A4040C10" ISDR_AID, "9000");
	assert_apdu (card, "01C0000015", "6985");
	/* P2 is one byte: 256 blocks of 255 bytes at most, then only a new request (P2 00) fits */
	for (guint i = 0; i < 256; i++) {
		g_autoptr(GString) block = g_string_new (NULL);
		g_string_printf (block, "81E211%02XFF", i);
		for (guint j = 0; j < 255; j++)
			g_string_append (block, "00");
		assert_apdu (card, block->str, "9000");
	}
	assert_apdu (card, "81E291FF0100", "6A86");
	assert_apdu (card, "81E2910003BF3E00", "6115");
}

static void
add_profiles (EsimVeuicc *card, const gchar *const *iccids, guint n)
{
	for (guint i = 0; i < n; i++) {
		g_autoptr(GError) error = NULL;
		g_autofree gchar *name = g_strdup_printf ("Extra profile number %u", i);
		g_assert_true (esim_veuicc_add_profile (card, iccids[i], name, "Extra operator", "operational",
		                                        &error));
		g_assert_no_error (error);
	}
}

static void
test_get_response_chaining (void)
{
	g_autoptr(EsimVeuicc) card = new_card ();
	g_autoptr(GString) assembled = g_string_new (NULL);
	g_autofree gchar *response = NULL;
	g_autofree gchar *whole = NULL;
	g_autofree gchar *first = NULL;
	static const gchar *const iccids[] = {
		"8944476500000000039", "8944476500000000047", "8944476500000000054",
		"8944476500000000062", "8944476500000000070", "8944476500000000088",
	};
	gsize total, rest;

	/* two more profiles make GetProfilesInfo longer than 256 bytes */
	add_profiles (card, iccids, 2);
	g_assert_cmpuint (esim_veuicc_get_n_profiles (card), ==, 4);
	assert_apdu (card, "80E2910003BF2D00", "6100");
	response = transmit (card, "00C0000000");
	g_assert_cmpuint (strlen (response), ==, 256 * 2 + 4);
	g_assert_true (g_str_has_prefix (response, "BF2D82"));
	g_string_append_len (assembled, response, 256 * 2);
	g_assert_true (g_str_has_prefix (response + 512, "61"));
	rest = g_ascii_strtoull (response + 514, NULL, 16);
	total = 256 + rest;
	g_assert_cmpuint (rest, >, 16);
	g_assert_cmpuint (rest, <, 255);
	{
		/* an explicit Le bigger than what remains: 6Cxx with the exact count, data kept */
		g_autofree gchar *too_long = g_strdup_printf ("00C00000%02X", (guint) rest + 1);
		g_autofree gchar *expected_6c = g_strdup_printf ("6C%02X", (guint) rest);
		g_autofree gchar *piece = NULL;
		g_autofree gchar *exact = NULL;

		assert_apdu (card, too_long, expected_6c);
		/* a smaller Le hands out part, 61xx for the rest */
		piece = transmit (card, "80C0000010");
		g_assert_cmpuint (strlen (piece), ==, 16 * 2 + 4);
		g_assert_true (g_str_has_prefix (piece + 32, "61"));
		g_assert_cmpuint (g_ascii_strtoull (piece + 34, NULL, 16), ==, rest - 16);
		g_string_append_len (assembled, piece, 32);
		exact = transmit (card, "00C0000000"); /* Le 00: whatever remains */
		g_assert_true (g_str_has_suffix (exact, "9000"));
		g_assert_cmpuint (strlen (exact), ==, (rest - 16) * 2 + 4);
		g_string_append_len (assembled, exact, strlen (exact) - 4);
	}
	g_assert_cmpuint (assembled->len, ==, total * 2);
	g_assert_cmpuint (count_children (assembled->str, 0xA0, 0xE3), ==, 4);
	assert_apdu (card, "00C0000000", "6985");

	/* the same through the helper; equal to the reassembled answer */
	whole = es10 (card, "BF2D00");
	g_assert_cmpstr (whole, ==, assembled->str);
	/* BF2D 82 LLLL (5 bytes), A0 82 LLLL (4 bytes) */
	first = g_strdup_printf ("BF2D82%04XA082%04X" E3_OP E3_TEST, (guint) total - 5, (guint) total - 9);
	g_assert_true (g_str_has_prefix (whole, first));
	assert_apdu (card, "80E2910003BF2D00", "6100");
	assert_apdu (card, "00C0000100", "6A86");
	assert_apdu (card, "00C000000100", "6700"); /* GET RESPONSE takes no data */
	{
		/* case 1 (no Le) works like Le 00 */
		g_autofree gchar *piece = transmit (card, "00C00000");
		g_autofree gchar *sw = g_strdup_printf ("61%02X", (guint) rest);
		g_assert_cmpuint (strlen (piece), ==, 256 * 2 + 4);
		g_assert_true (g_str_has_suffix (piece, sw));
	}

	/* eight profiles: more than 512 bytes, so 6100 twice */
	add_profiles (card, iccids + 2, 4);
	assert_apdu (card, "80E2910003BF2D00", "6100");
	g_free (response);
	response = transmit (card, "00C0000000");
	g_assert_true (g_str_has_suffix (response, "6100"));
	g_free (whole);
	whole = es10 (card, "BF2D00");
	g_assert_cmpuint (strlen (whole), >, 512 * 2);
	g_assert_cmpuint (count_children (whole, 0xA0, 0xE3), ==, 8);
}

/* ---- ES10 functions ------------------------------------------------------------------------- */

static void
test_get_eid (void)
{
	g_autoptr(EsimVeuicc) card = new_card ();
	const gchar *eid = esim_veuicc_get_eid (card);
	g_autofree gchar *expected = g_strdup_printf ("BF3E125A10%s", eid);

	g_assert_true (esim_eid_is_valid (eid));
	g_assert_true (g_str_has_prefix (eid, "89049032"));
	g_assert_null (esim_veuicc_get_path (card));
	assert_es10 (card, "BF3E035C015A", expected);
	assert_es10 (card, "BF3E00", expected);
	assert_apdu (card, "80E2910006BF3E035C015B", "6A80");
	assert_apdu (card, "80E2910005BF3E035C01", "6A80");
	assert_apdu (card, "80E2910008BF3E065C015A5C015A", "6A80");
}

static gchar *
get_ci_pkid (EsimVeuicc *card)
{
	g_autofree gchar *certs = es10 (card, "BF5600");
	const EsimTag path[] = { 0xA0, 0xA5 };
	g_autofree gchar *eum = tlv_path (certs, path, 2);
	g_autoptr(GBytes) der = NULL;
	gnutls_x509_crt_t crt;
	gnutls_datum_t datum;
	guint8 ski[64];
	size_t ski_len = sizeof (ski);
	unsigned int critical = 0;

	/* the implicit [5] replaced the certificate's SEQUENCE tag */
	g_assert_true (g_str_has_prefix (eum, "A5"));
	eum[0] = '3';
	eum[1] = '0';
	der = hex_bytes (eum);
	datum.data = (unsigned char *) g_bytes_get_data (der, NULL);
	datum.size = g_bytes_get_size (der);
	g_assert_cmpint (gnutls_x509_crt_init (&crt), ==, 0);
	g_assert_cmpint (gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_DER), ==, 0);
	g_assert_cmpint (gnutls_x509_crt_get_subject_key_id (crt, ski, &ski_len, &critical), ==, 0);
	gnutls_x509_crt_deinit (crt);
	g_assert_cmpuint (ski_len, ==, 20);
	return esim_hex_encode (ski, ski_len);
}

static void
test_euicc_info (void)
{
	g_autoptr(EsimVeuicc) card = new_card ();
	g_autofree gchar *pkid = get_ci_pkid (card);
	g_autofree gchar *info2 = es10 (card, "BF2200");
	g_autoptr(GBytes) bytes = hex_bytes (info2);
	g_autoptr(GError) error = NULL;
	/* SGP32Definitions v1.2 EUICCInfo2, definition order */
	static const EsimTag order[] = {
		0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0xA9, 0xAA, 0x99, 0x04, 0x0C, 0x90, 0xB4, 0x95,
	};
	static const gchar *values[] = {
		"8103020301", "8203020500", "8303000100", "840F810102820400 3E0000830400002000",
		"8505066A2293C0", "86030F0100", "8703020300", "88020490", NULL, NULL, "99020640",
		"0403010000", NULL, "900100", "B407A00504030102 00", "950101",
	};
	EsimTlv tlv, child;
	EsimTlvIter iter;
	guint n = 0;

	{
		g_autofree gchar *expected1 = g_strdup_printf ("BF20358203020500A9160414%sAA160414%s", pkid, pkid);
		assert_es10 (card, "BF2000", expected1);
	}
	assert_apdu (card, "80E2910005BF2002 0500", "6A80");

	g_assert_true (esim_tlv_parse_tagged (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
	                                      0xBF22, &tlv, &error));
	g_assert_no_error (error);
	esim_tlv_iter_init (&iter, &tlv);
	while (esim_tlv_iter_next (&iter, &child, &error)) {
		g_autofree gchar *raw = esim_hex_encode (child.raw, child.raw_len);
		g_assert_cmpuint (n, <, G_N_ELEMENTS (order));
		g_assert_cmphex (child.tag, ==, order[n]);
		if (values[n] != NULL) {
			g_autoptr(GBytes) want = hex_bytes (values[n]);
			g_autofree gchar *want_hex = esim_hex_encode_bytes (want);
			g_assert_cmpstr (raw, ==, want_hex);
		}
		n++;
	}
	g_assert_no_error (error);
	g_assert_cmpuint (n, ==, G_N_ELEMENTS (order));
	{
		const EsimTag path_sas[] = { 0x0C };
		const EsimTag path_ci[] = { 0xA9 };
		g_autofree gchar *sas = tlv_path (info2, path_sas, 1);
		g_autofree gchar *ci = tlv_path (info2, path_ci, 1);
		g_autofree gchar *ci_expected = g_strdup_printf ("A9160414%s", pkid);
		g_assert_cmpstr (sas, ==, "0C134553494D442D5649525455414C2D4555494343");
		g_assert_cmpstr (ci, ==, ci_expected);
	}
	assert_apdu (card, "80E2910005BF2202 0500", "6A80");

	/* GetEUICCChallenge: 16 fresh bytes each time */
	{
		g_autofree gchar *c1 = es10 (card, "BF2E00");
		g_autofree gchar *c2 = es10 (card, "BF2E00");
		g_assert_true (g_str_has_prefix (c1, "BF2E128010"));
		g_assert_cmpuint (strlen (c1), ==, 21 * 2);
		g_assert_cmpstr (c1, !=, c2);
	}
}

static void
test_profiles_info (void)
{
	g_autoptr(EsimVeuicc) card = new_card ();

	assert_es10 (card, "BF2D00", "BF2D8186A08183" E3_OP E3_TEST);
	/* searchCriteria [0] is explicit: A0 { 5A | 4F | 95 } */
	assert_es10 (card, "BF2D0EA00C5A0A" ICCID_TEST_BCD, "BF2D40A03E" E3_TEST);
	assert_es10 (card, "BF2D14A0124F10" AID_OP, "BF2D47A045" E3_OP);
	assert_es10 (card, "BF2D05A003950100", "BF2D40A03E" E3_TEST);
	assert_es10 (card, "BF2D05A003950101", "BF2D02A000");
	assert_es10 (card, "BF2D0EA00C5A0A98447456000000009999", "BF2D02A000");
	/* tagList: only the fields asked for, multi-byte tags included */
	assert_es10 (card, "BF2D03 5C015A", "BF2D1EA01CE30C5A0A" ICCID_OP_BCD "E30C5A0A" ICCID_TEST_BCD);
	assert_es10 (card, "BF2D13A00C5A0A" ICCID_OP_BCD "5C039F7095",
	             "BF2D0BA009E3079F700101950102");
	assert_es10 (card, "BF2D04 5C029F9F", "BF2D03810101"); /* truncated tag */
	assert_es10 (card, "BF2D02 5C00", "BF2D06A004E300E300");
	/* errors: incorrectInputValues (1) for bad values, undefinedError (127) for bad structure */
	assert_es10 (card, "BF2D0DA00B5A09984474560000000010", "BF2D03810101");
	assert_es10 (card, "BF2D05A003950103", "BF2D03810101");
	assert_es10 (card, "BF2D08A0065A01005A0100", "BF2D03810101");
	assert_es10 (card, "BF2D03800100", "BF2D0381017F");
	assert_es10 (card, "BF2D025A00", "BF2D0381017F");
	assert_es10 (card, "BF2D015A", "BF2D0381017F");
	assert_es10 (card, "BF2D11 5C015A A00C5A0A" ICCID_TEST_BCD, "BF2D0381017F"); /* order */
}

static void
test_enable_switch (void)
{
	g_autoptr(EsimVeuicc) card = new_card ();
	g_autofree gchar *list = NULL;

	g_assert_cmpuint (esim_veuicc_get_n_notifications (card), ==, 0);
	/* EnableProfile { A0 { 5A iccid }, 81 refreshFlag } */
	assert_es10 (card, "BF3111A00C5A0A" ICCID_TEST_BCD "8101FF", "BF3103800100");
	assert_es10 (card, "BF2D045C029F70", "BF2D0EA00CE3049F700100E3049F700101");
	/* one notification per changed profile: the disable of the old one first */
	g_assert_cmpuint (esim_veuicc_get_n_notifications (card), ==, 2);
	list = es10 (card, "BF2800");
	g_assert_cmpstr (list, ==,
	                 "BF2852A050"
	                 "BF2F2580010181020520" ADDRESS "5A0A" ICCID_OP_BCD
	                 "BF2F2580010281020640" ADDRESS "5A0A" ICCID_TEST_BCD);
	/* results: profileNotInDisabledState (2), iccidOrAidNotFound (1), undefinedError (127) */
	assert_es10 (card, "BF3111A00C5A0A" ICCID_TEST_BCD "810100", "BF3103800102");
	assert_es10 (card, "BF3111A00C5A0A98447456000000009999810100", "BF3103800101");
	assert_es10 (card, "BF310EA00C5A0A" ICCID_TEST_BCD, "BF310380017F");
	assert_es10 (card, "BF310F5A0A" ICCID_TEST_BCD "810100", "BF310380017F");
	assert_es10 (card, "BF3110A00B5A09984474560000000020810100", "BF310380017F");
	assert_es10 (card, "BF3111810100A00C5A0A" ICCID_TEST_BCD, "BF310380017F");
	/* the AID form (vectors.md V21 shape) switches back */
	assert_es10 (card, "BF3117A0124F10" AID_OP "810100", "BF3103800100");
	assert_es10 (card, "BF3108A0034F01018101FF", "BF3103800101");
	assert_es10 (card, "BF2D045C029F70", "BF2D0EA00CE3049F700101E3049F700100");
	g_assert_cmpuint (esim_veuicc_get_n_notifications (card), ==, 4);
}

static void
test_disable_delete (void)
{
	g_autoptr(EsimVeuicc) card = new_card ();

	/* DisableProfile: ok, then profileNotInEnabledState (2) */
	assert_es10 (card, "BF3211A00C5A0A" ICCID_OP_BCD "810100", "BF3203800100");
	assert_es10 (card, "BF3211A00C5A0A" ICCID_OP_BCD "810100", "BF3203800102");
	assert_es10 (card, "BF3211A00C5A0A98447456000000009999810100", "BF3203800101");
	assert_es10 (card, "BF3203800100", "BF320380017F");
	g_assert_cmpuint (esim_veuicc_get_n_notifications (card), ==, 1);

	/* DeleteProfile is a CHOICE with no wrapper: BF33 { 5A iccid } */
	assert_es10 (card, "BF3111A00C5A0A" ICCID_TEST_BCD "810100", "BF3103800100");
	assert_es10 (card, "BF330C5A0A" ICCID_TEST_BCD, "BF3303800102"); /* enabled */
	assert_es10 (card, "BF330C5A0A" ICCID_OP_BCD, "BF3303800100");
	assert_es10 (card, "BF330C5A0A" ICCID_OP_BCD, "BF3303800101");
	assert_es10 (card, "BF330EA00C5A0A" ICCID_TEST_BCD, "BF330380017F"); /* wrapped: wrong */
	assert_es10 (card, "BF3300", "BF330380017F");
	assert_es10 (card, "BF33125A0A" ICCID_TEST_BCD "4F0401020304", "BF330380017F");
	g_assert_cmpuint (esim_veuicc_get_n_profiles (card), ==, 1);
	/* disable(op), disable(op→none: already), enable(test) + nothing, delete(op) */
	g_assert_cmpuint (esim_veuicc_get_n_notifications (card), ==, 3);
	/* profileManagementOperation filter: notificationDelete (3) */
	assert_es10 (card, "BF280481020410", "BF282AA028BF2F2580010381020410" ADDRESS "5A0A" ICCID_OP_BCD);
	/* delete by AID */
	assert_es10 (card, "BF3211A00C5A0A" ICCID_TEST_BCD "810100", "BF3203800100");
	assert_es10 (card, "BF33124F10" AID_TEST, "BF3303800100");
	g_assert_cmpuint (esim_veuicc_get_n_profiles (card), ==, 0);
	assert_es10 (card, "BF2D00", "BF2D02A000");
}

static void
test_nickname (void)
{
	g_autoptr(EsimVeuicc) card = new_card ();
	g_autoptr(GString) long_name = g_string_new ("BF294F5A0A" ICCID_OP_BCD "9041");

	/* vectors.md V21 shape: BF29 { 5A iccid, 90 nickname } */
	assert_es10 (card, "BF29155A0A" ICCID_OP_BCD "9007 6D792D63617264", "BF2903800100");
	assert_es10 (card, "BF2D11A00C5A0A" ICCID_OP_BCD "5C0190", "BF2D0DA00BE309 90076D792D63617264");
	assert_es10 (card, "BF29155A0A98447456000000009999 9007 6D792D63617264", "BF2903800101");
	for (guint i = 0; i < 65; i++)
		g_string_append (long_name, "61");
	assert_es10 (card, long_name->str, "BF290380017F");
	assert_es10 (card, "BF2915 90076D792D63617264 5A0A" ICCID_OP_BCD, "BF290380017F"); /* order */
	assert_es10 (card, "BF29105A0A" ICCID_OP_BCD "9002C328", "BF290380017F"); /* not UTF-8 */
	/* an empty nickname clears it */
	assert_es10 (card, "BF290E5A0A" ICCID_OP_BCD "9000", "BF2903800100");
	assert_es10 (card, "BF2D11A00C5A0A" ICCID_OP_BCD "5C0190", "BF2D04A002E300");
}

static void
verify_notification (const EsimTlv *notification)
{
	g_autoptr(GError) error = NULL;
	EsimTlv tbs, sig, euicc_cert, eum_cert;
	EsimTlvIter iter;
	gnutls_x509_crt_t crt;
	gnutls_pubkey_t pubkey;
	gnutls_datum_t datum, data, r, s, der_sig = { NULL, 0 };

	/* OtherSignedNotification ::= 30 { BF2F, 5F37, 30 euiccCertificate, 30 eumCertificate } */
	g_assert_cmphex (notification->tag, ==, 0x30);
	esim_tlv_iter_init (&iter, notification);
	g_assert_true (esim_tlv_iter_next (&iter, &tbs, &error));
	g_assert_true (esim_tlv_iter_next (&iter, &sig, &error));
	g_assert_true (esim_tlv_iter_next (&iter, &euicc_cert, &error));
	g_assert_true (esim_tlv_iter_next (&iter, &eum_cert, &error));
	g_assert_false (esim_tlv_iter_next (&iter, &tbs, &error));
	g_assert_no_error (error);
	g_assert_cmphex (tbs.tag, ==, 0xBF2F);
	g_assert_cmphex (sig.tag, ==, 0x5F37);
	g_assert_cmpuint (sig.len, ==, 64);
	g_assert_cmphex (euicc_cert.tag, ==, 0x30);
	g_assert_cmphex (eum_cert.tag, ==, 0x30);

	/* raw r || s over the DER of the BF2F, with the eUICC certificate's key */
	datum.data = (unsigned char *) euicc_cert.raw;
	datum.size = euicc_cert.raw_len;
	g_assert_cmpint (gnutls_x509_crt_init (&crt), ==, 0);
	g_assert_cmpint (gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_DER), ==, 0);
	g_assert_cmpint (gnutls_pubkey_init (&pubkey), ==, 0);
	g_assert_cmpint (gnutls_pubkey_import_x509 (pubkey, crt, 0), ==, 0);
	r.data = (unsigned char *) sig.value;
	r.size = 32;
	s.data = (unsigned char *) sig.value + 32;
	s.size = 32;
	g_assert_cmpint (gnutls_encode_rs_value (&der_sig, &r, &s), ==, 0);
	data.data = (unsigned char *) tbs.raw;
	data.size = tbs.raw_len;
	g_assert_cmpint (gnutls_pubkey_verify_data2 (pubkey, GNUTLS_SIGN_ECDSA_SHA256, 0, &data, &der_sig),
	                 >=, 0);
	/* and not over anything else */
	data.size--;
	g_assert_cmpint (gnutls_pubkey_verify_data2 (pubkey, GNUTLS_SIGN_ECDSA_SHA256, 0, &data, &der_sig),
	                 <, 0);
	gnutls_free (der_sig.data);
	gnutls_pubkey_deinit (pubkey);
	gnutls_x509_crt_deinit (crt);
}

static void
test_notifications (void)
{
	g_autoptr(EsimVeuicc) card = new_card ();
	g_autofree gchar *all = NULL;
	g_autofree gchar *one = NULL;
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(GError) error = NULL;
	EsimTlv tlv, list, child;
	EsimTlvIter iter;
	guint n = 0;

	assert_es10 (card, "BF2B00", "BF2B02A000");
	assert_es10 (card, "BF2800", "BF2802A000");
	assert_es10 (card, "BF3111A00C5A0A" ICCID_TEST_BCD "8101FF", "BF3103800100");

	all = es10 (card, "BF2B00");
	bytes = hex_bytes (all);
	g_assert_true (esim_tlv_parse_tagged (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
	                                      0xBF2B, &tlv, &error));
	g_assert_true (esim_tlv_find (&tlv, 0xA0, &list, &error));
	esim_tlv_iter_init (&iter, &list);
	while (esim_tlv_iter_next (&iter, &child, &error)) {
		verify_notification (&child);
		n++;
	}
	g_assert_no_error (error);
	g_assert_cmpuint (n, ==, 2);

	/* searchCriteria is wrapped in an explicit A0 (vectors.md V12) */
	one = es10 (card, "BF2B05A003800102");
	g_assert_cmpuint (count_children (one, 0xA0, 0x30), ==, 1);
	g_assert_nonnull (strstr (one, "BF2F2580010281020640"));
	assert_es10 (card, "BF2B05A003800109", "BF2B02A000");
	{
		g_autofree gchar *by_op = es10 (card, "BF2B06A00481020520");
		g_assert_cmpuint (count_children (by_op, 0xA0, 0x30), ==, 1);
		g_assert_nonnull (strstr (by_op, "BF2F2580010181020520"));
	}
	/* EuiccPackageResults: none stored */
	assert_es10 (card, "BF2B04A0028200", "BF2B02A200");
	/* the wrong, unwrapped form gets undefinedError as real cards answer */
	assert_es10 (card, "BF2B0480020002", "BF2B0381017F");
	assert_es10 (card, "BF2B07A005800101 8200", "BF2B0381017F");
	assert_es10 (card, "BF2B04A0028201", "BF2B0381017F");
	assert_es10 (card, "BF280480020520", "BF280381017F");

	/* RemoveNotificationFromList: ok, then nothingToDelete */
	assert_es10 (card, "BF3003800101", "BF3003800100");
	assert_es10 (card, "BF3003800101", "BF3003800101");
	assert_es10 (card, "BF3003810101", "BF300380017F");
	assert_es10 (card, "BF3000", "BF300380017F");
	g_assert_cmpuint (esim_veuicc_get_n_notifications (card), ==, 1);
	assert_es10 (card, "BF2800", "BF282AA028BF2F2580010281020640" ADDRESS "5A0A" ICCID_TEST_BCD);
}

static void
test_addresses (void)
{
	g_autoptr(EsimVeuicc) card = new_card ();

	assert_es10 (card, "BF3C00", "BF3C1A811874657374726F6F74736D64732E6578616D706C652E636F6D");
	/* SGP.22 BF3F */
	assert_es10 (card, "BF3F0C800A736D64702E6C6F63616C", "BF3F03800100");
	assert_es10 (card, "BF3C00",
	             "BF3C26800A736D64702E6C6F63616C811874657374726F6F74736D64732E6578616D706C652E636F6D");
	/* SGP.32 v1.2 BF65 */
	assert_es10 (card, "BF650780057A2E6E6574", "BF6503800100");
	assert_es10 (card, "BF3C00",
	             "BF3C21 80057A2E6E6574 811874657374726F6F74736D64732E6578616D706C652E636F6D");
	assert_es10 (card, "BF650281 00", "BF650380017F");
	assert_es10 (card, "BF3F00", "BF3F0380017F");
	assert_es10 (card, "BF3F0480029FFF", "BF3F0380017F");
	/* an empty address clears it */
	assert_es10 (card, "BF65028000", "BF6503800100");
	assert_es10 (card, "BF3C00", "BF3C1A811874657374726F6F74736D64732E6578616D706C652E636F6D");
	assert_apdu (card, "80E2910005BF3C02 8000", "6A80");
}

static void
test_rat (void)
{
	g_autoptr(EsimVeuicc) card = new_card ();
	/* GetRatResponse { rat [0] } = BF43 { A0 { 30 { 80 pprIds, A1 { 30 { 80 mccMnc } }, 82 pprFlags } } } */
	assert_es10 (card, "BF4300", "BF4315A01330118002 0640A10730058003EEEEEE82020780");
	assert_apdu (card, "80E2910005BF4302 0500", "6A80");
}

static void
test_certs (void)
{
	g_autoptr(EsimVeuicc) card = new_card ();
	g_autofree gchar *certs = es10 (card, "BF5600");
	g_autofree gchar *pkid = get_ci_pkid (card);
	g_autofree gchar *by_pkid = g_strdup_printf ("BF56168014%s", pkid);
	const EsimTag path[] = { 0xA0, 0xA6 };
	g_autofree gchar *euicc = tlv_path (certs, path, 2);
	g_autoptr(GBytes) der = NULL;
	gnutls_x509_crt_t crt;
	gnutls_datum_t datum;
	gchar serial[64] = { 0 };
	size_t serial_len = sizeof (serial) - 1;

	assert_es10 (card, by_pkid, certs);
	assert_es10 (card, "BF561680140000000000000000000000000000000000000000", "BF5603810101");
	assert_es10 (card, "BF56028100", "BF560381017F");
	assert_es10 (card, "BF5603800100", "BF5603810101");

	/* the eUICC certificate: subject serialNumber = EID */
	g_assert_true (g_str_has_prefix (euicc, "A6"));
	euicc[0] = '3';
	euicc[1] = '0';
	der = hex_bytes (euicc);
	datum.data = (unsigned char *) g_bytes_get_data (der, NULL);
	datum.size = g_bytes_get_size (der);
	g_assert_cmpint (gnutls_x509_crt_init (&crt), ==, 0);
	g_assert_cmpint (gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_DER), ==, 0);
	g_assert_cmpint (gnutls_x509_crt_get_dn_by_oid (crt, "2.5.4.5", 0, 0, serial, &serial_len), ==, 0);
	g_assert_cmpstr (serial, ==, esim_veuicc_get_eid (card));
	g_assert_cmpint (gnutls_x509_crt_get_pk_algorithm (crt, NULL), ==, GNUTLS_PK_ECDSA);
	gnutls_x509_crt_deinit (crt);
}

static void
test_eim (void)
{
	g_autoptr(EsimVeuicc) card = new_card ();
	g_autofree gchar *expected_config = g_strdup (V16_CONFIG);
	g_autofree gchar *want = NULL;

	assert_es10 (card, "BF5500", "BF5502A000");
	/* errors before anything is stored: commandError (7), ciPKUnknown (3), counterValueOutOfRange (6) */
	assert_es10 (card, "BF5700", "BF5703810107");
	assert_es10 (card, "BF5702A000", "BF5703810107");
	assert_es10 (card, "BF5709A0073005810365494D", "BF5703810107");        /* no eimId */
	assert_es10 (card, "BF5709A0073005800083 0101", "BF5703810107");         /* empty eimId */
	assert_es10 (card, "BF570DA00B3009800145830101 820105", "BF5703810107");  /* order */
	assert_es10 (card, "BF570AA0083006800145990100", "BF5703810107");        /* unknown element */
	assert_es10 (card, "BF570CA00A3008800145A503A00100", "BF5703810107");    /* eimPublicKeyData */
	assert_es10 (card, "BF570AA0083006800145 8301FF", "BF5703810106");
	assert_es10 (card, "BF570EA00C300A80014588050102030405", "BF5703810103");
	assert_es10 (card, "BF5712A0103006800145830101 3006800145830101", "BF5703810107"); /* same eimId */
	assert_es10 (card, "BF5705A0033001 00", "BF5703810107");
	assert_es10 (card, "BF5500", "BF5502A000");

	/* vectors.md V16: the associationToken the eIM asked for (84 FF) is allocated by the card */
	assert_es10 (card, V16, "BF5705A003840101");
	/* GetEimConfigurationData returns the configuration with the card's token */
	memcpy (strstr (expected_config, "8401FF"), "840101", 6);
	want = g_strdup_printf ("BF557CA07A%s", expected_config);
	assert_es10 (card, "BF5500", want);
	/* searchCriteria { eimId [0] } */
	assert_es10 (card, "BF5507A005800365494D", want);
	assert_es10 (card, "BF5506A004800278 78", "BF5502A000");
	assert_apdu (card, "80E2910004BF5502A000", "6A80");
	assert_apdu (card, "80E2910008BF5506800278 78A000", "6A80");
	/* a second AddInitialEim: associatedEimAlreadyExists (2) */
	assert_es10 (card, V16, "BF5703810102");

	/* a fresh card: configurations without a token get addOk (NULL); the card's own CI is fine */
	{
		g_autoptr(EsimVeuicc) card2 = new_card ();
		g_autofree gchar *pkid2 = get_ci_pkid (card2);
		g_autofree gchar *request = g_strdup_printf ("BF5729A027300A8001418301058702 06C0"
		                                             "3019800142 8814%s", pkid2);
		g_autofree gchar *second = g_strdup_printf ("BF551DA01B3019800142 8814%s", pkid2);
		g_autofree gchar *both = g_strdup_printf ("BF5529A027300A8001418301058702 06C0"
		                                          "3019800142 8814%s", pkid2);
		assert_es10 (card2, request, "BF5706A004 0500 0500");
		assert_es10 (card2, "BF5505A003800142", second);
		assert_es10 (card2, "BF5500", both);
	}
}

static void
test_memory_reset (void)
{
	g_autoptr(EsimVeuicc) card = new_card ();
	g_autoptr(GError) error = NULL;

	g_assert_true (esim_veuicc_add_profile (card, "8944476500000000039", "Field test", "Lab", "test",
	                                        &error));
	g_assert_true (esim_veuicc_add_profile (card, "8944476500000000047", "Bootstrap", "Lab",
	                                        "provisioning", &error));
	g_assert_no_error (error);
	assert_es10 (card, V16, "BF5705A003840101");
	assert_es10 (card, "BF3F0C800A736D64702E6C6F63616C", "BF3F03800100");
	g_assert_cmpuint (esim_veuicc_get_n_profiles (card), ==, 4);

	/* SGP.22 BF34 (vectors.md V21): operational + field-loaded test profiles */
	assert_es10 (card, "BF3404820205C0", "BF3403800100");
	g_assert_cmpuint (esim_veuicc_get_n_profiles (card), ==, 2);
	assert_es10 (card, "BF3404820205C0", "BF3403800101");
	/* BF34 knows bits 0–2 only: the eIM bit is ignored there */
	assert_es10 (card, "BF3404820202 04", "BF3403800101");
	{
		g_autofree gchar *eims = es10 (card, "BF5500");
		g_assert_true (g_str_has_prefix (eims, "BF557CA07A"));
	}
	/* SGP.32 v1.2 BF64: pre-loaded test (3), provisioning (4), default SM-DP+ (2), eIM (5), IEC (6) */
	assert_es10 (card, "BF6404820201 3E", "BF6409800100810100820100");
	g_assert_cmpuint (esim_veuicc_get_n_profiles (card), ==, 0);
	assert_es10 (card, "BF5500", "BF5502A000");
	assert_es10 (card, "BF3C00", "BF3C1A811874657374726F6F74736D64732E6578616D706C652E636F6D");
	assert_es10 (card, "BF640482020204", "BF6406800101810101");
	assert_es10 (card, "BF6403820100", "BF6403800101");
	/* malformed: undefinedError */
	assert_es10 (card, "BF6400", "BF640380017F");
	assert_es10 (card, "BF640483020204", "BF640380017F");
	assert_es10 (card, "BF3403820108", "BF340380017F");
	/* reset leaves no notifications behind it */
	g_assert_cmpuint (esim_veuicc_get_n_notifications (card), ==, 0);
}

static void
test_ipae (void)
{
	g_autoptr(EsimVeuicc) card = new_card ();
	assert_es10 (card, "BF420480020780", "BF4203800101");
	assert_apdu (card, "80E2910003BF4200", "6A80");
}

/* ---- persistence ---------------------------------------------------------------------------- */

static gchar *
read_file (const gchar *path)
{
	g_autoptr(GError) error = NULL;
	gchar *contents = NULL;
	g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
	g_assert_no_error (error);
	return contents;
}

static void
test_persistence (void)
{
	g_autofree gchar *dir = NULL;
	g_autofree gchar *path = tmp_state_path (&dir);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *eid = NULL;
	g_autofree gchar *profiles = NULL;
	g_autofree gchar *notifications = NULL;
	g_autofree gchar *eims = NULL;
	g_autofree gchar *addresses = NULL;
	g_autofree gchar *certs = NULL;
	GStatBuf st;

	{
		g_autoptr(EsimVeuicc) card = esim_veuicc_new_from_file (path, TRUE, &error);
		g_assert_no_error (error);
		g_assert_nonnull (card);
		g_assert_cmpstr (esim_veuicc_get_path (card), ==, path);
		g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
		/* private keys inside: owner only */
		g_assert_cmpint (g_stat (path, &st), ==, 0);
		g_assert_cmpint (st.st_mode & 0077, ==, 0);
		eid = g_strdup (esim_veuicc_get_eid (card));
		g_assert_true (esim_eid_is_valid (eid));
		g_assert_cmpuint (esim_veuicc_get_n_profiles (card), ==, 2);

		select_isdr (card, "00");
		assert_es10 (card, "BF3111A00C5A0A" ICCID_TEST_BCD "8101FF", "BF3103800100");
		assert_es10 (card, "BF29155A0A" ICCID_OP_BCD "90076D792D63617264", "BF2903800100");
		assert_es10 (card, "BF650780057A2E6E6574", "BF6503800100");
		assert_es10 (card, V16, "BF5705A003840101");
		assert_es10 (card, "BF3003800101", "BF3003800100");
		g_assert_true (esim_veuicc_add_profile (card, "8944476500000000039", "Added", "Lab",
		                                        "provisioning", &error));
		g_assert_no_error (error);
		profiles = es10 (card, "BF2D00");
		notifications = es10 (card, "BF2B00");
		eims = es10 (card, "BF5500");
		addresses = es10 (card, "BF3C00");
		certs = es10 (card, "BF5600");
	}
	{
		g_autoptr(EsimVeuicc) card = esim_veuicc_new_from_file (path, FALSE, &error);
		g_assert_no_error (error);
		g_assert_nonnull (card);
		g_assert_cmpstr (esim_veuicc_get_eid (card), ==, eid);
		select_isdr (card, "00");
		assert_es10 (card, "BF2D00", profiles);
		assert_es10 (card, "BF2B00", notifications);
		assert_es10 (card, "BF5500", eims);
		assert_es10 (card, "BF3C00", addresses);
		assert_es10 (card, "BF5600", certs);
		/* the eIM keeps its configuration: a second one is still refused */
		assert_es10 (card, V16, "BF5703810102");
	}
	rm_tmp (dir, path);
}

static void
test_seq_across_reload (void)
{
	g_autofree gchar *dir = NULL;
	g_autofree gchar *path = tmp_state_path (&dir);
	g_autoptr(GError) error = NULL;

	{
		g_autoptr(EsimVeuicc) card = esim_veuicc_new_from_file (path, TRUE, &error);
		g_assert_no_error (error);
		select_isdr (card, "00");
		assert_es10 (card, "BF3111A00C5A0A" ICCID_TEST_BCD "8101FF", "BF3103800100");
		/* remove both (seq 1, 2): the list is empty, the counter is not reset */
		assert_es10 (card, "BF3003800101", "BF3003800100");
		assert_es10 (card, "BF3003800102", "BF3003800100");
		assert_es10 (card, "BF2800", "BF2802A000");
	}
	{
		g_autoptr(EsimVeuicc) card = esim_veuicc_new_from_file (path, FALSE, &error);
		g_assert_no_error (error);
		select_isdr (card, "00");
		assert_es10 (card, "BF3111A00C5A0A" ICCID_OP_BCD "8101FF", "BF3103800100");
		assert_es10 (card, "BF2800",
		             "BF2852A050"
		             "BF2F2580010381020520" ADDRESS "5A0A" ICCID_TEST_BCD
		             "BF2F2580010481020640" ADDRESS "5A0A" ICCID_OP_BCD);
	}
	{
		/* seq numbers keep growing past one byte of INTEGER (DER: 80 01 7F, then 80 02 00 80) */
		g_autoptr(EsimVeuicc) card = esim_veuicc_new_from_file (path, FALSE, &error);
		g_autofree gchar *list = NULL;
		g_assert_no_error (error);
		select_isdr (card, "00");
		for (guint i = 0; i < 62; i++) {
			assert_es10 (card, "BF3211A00C5A0A" ICCID_OP_BCD "8101FF", "BF3203800100");
			assert_es10 (card, "BF3111A00C5A0A" ICCID_OP_BCD "8101FF", "BF3103800100");
			g_assert_cmpuint (esim_veuicc_get_n_notifications (card), ==, 4 + 2 * i);
		}
		/* seq 3..128 exist: 127 is 80 01 7F, 128 needs a leading zero byte */
		assert_es10 (card, "BF2B06A00480020081", "BF2B02A000");
		/* 80 01 81 is -127: not a seqNumber */
		assert_es10 (card, "BF2B05A003800181", "BF2B0381017F");
		list = es10 (card, "BF2B05A00380017F");
		g_assert_cmpuint (count_children (list, 0xA0, 0x30), ==, 1);
		g_assert_nonnull (strstr (list, "BF2F2580017F"));
		g_free (list);
		list = es10 (card, "BF2B06A00480020080");
		g_assert_cmpuint (count_children (list, 0xA0, 0x30), ==, 1);
		g_assert_nonnull (strstr (list, "BF2F2680020080"));
		assert_es10 (card, "BF30048002 0080", "BF3003800100");
	}
	rm_tmp (dir, path);
}

static void
assert_corrupt (const gchar *path, const gchar *contents, const gchar *needle)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimVeuicc) card = NULL;
	g_autofree gchar *after = NULL;

	g_assert_true (g_file_set_contents (path, contents, -1, &error));
	card = esim_veuicc_new_from_file (path, TRUE, &error);
	g_assert_null (card);
	g_assert_error (error, ESIM_VEUICC_ERROR, ESIM_VEUICC_ERROR_CORRUPT);
	/* the message names the file and the problem */
	g_assert_nonnull (strstr (error->message, path));
	g_test_message ("refused as expected: %s", error->message);
	g_assert_nonnull (strstr (error->message, needle));
	/* never written */
	after = read_file (path);
	g_assert_cmpstr (after, ==, contents);
}

static gchar *
replace (const gchar *text, const gchar *old, const gchar *new)
{
	g_auto(GStrv) parts = g_strsplit (text, old, 2);
	g_assert_nonnull (parts[1]);
	return g_strconcat (parts[0], new, parts[1], NULL);
}

static void
test_corrupt (void)
{
	g_autofree gchar *dir = NULL;
	g_autofree gchar *path = tmp_state_path (&dir);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *good = NULL;
	g_autofree gchar *eid = NULL;

	{
		g_autoptr(EsimVeuicc) card = esim_veuicc_new_from_file (path, TRUE, &error);
		g_assert_no_error (error);
		select_isdr (card, "00");
		assert_es10 (card, "BF3111A00C5A0A" ICCID_TEST_BCD "8101FF", "BF3103800100");
		assert_es10 (card, V16, "BF5705A003840101");
		eid = g_strdup (esim_veuicc_get_eid (card));
	}
	good = read_file (path);
	{
		g_autofree gchar *eid_line = g_strdup_printf ("eid=%s", eid);
		g_autofree gchar *bad_eid_line = g_strdup_printf ("eid=%.31s%c", eid, eid[31] == '0' ? '1' : '0');
		g_autofree gchar *bad_eid = replace (good, eid_line, bad_eid_line);
		g_autofree gchar *dup_iccid = replace (good, "iccid=" ICCID_TEST, "iccid=" ICCID_OP);
		g_autofree gchar *two_enabled = replace (good, "state=disabled", "state=enabled");
		g_autofree gchar *bad_pem = replace (good, "euicc-key=-----BEGIN", "euicc-key=-----BEGXN");
		g_autofree gchar *bad_version = replace (good, "version=1", "version=99");
		g_autofree gchar *no_version = replace (good, "version=1\n", "");
		g_autofree gchar *bad_class = replace (good, "class=test", "class=consumer");
		g_autofree gchar *bad_seq = replace (good, "next-seq-number=3", "next-seq-number=2");
		g_autofree gchar *bad_sig = replace (good, "signature=", "signature=00");
		g_autofree gchar *bad_eim = replace (good, "configuration=3078", "configuration=3079");
		g_autofree gchar *bad_iccid = replace (good, "iccid=" ICCID_TEST, "iccid=89444765ABC");
		g_autofree gchar *bad_aid = replace (good, "aid=" AID_TEST, "aid=" AID_OP);

		assert_corrupt (path, bad_eid, "eid");
		assert_corrupt (path, dup_iccid, "already");
		assert_corrupt (path, two_enabled, "two profiles are enabled");
		assert_corrupt (path, bad_pem, "PEM");
		assert_corrupt (path, bad_version, "unsupported version");
		assert_corrupt (path, no_version, "version");
		assert_corrupt (path, bad_class, "class");
		assert_corrupt (path, bad_seq, "seq-number");
		assert_corrupt (path, bad_sig, "signature");
		assert_corrupt (path, bad_eim, "configuration");
		assert_corrupt (path, bad_iccid, "ICCID");
		assert_corrupt (path, bad_aid, "duplicate AID");
		assert_corrupt (path, "this is not a key file\n", "corrupt");
		assert_corrupt (path, "", "version");
	}
	{
		/* a NUL byte, and a file far larger than any card's */
		g_autoptr(GString) nul = g_string_new (good);
		g_autoptr(GString) huge = g_string_new (good);
		g_autoptr(EsimVeuicc) card = NULL;

		g_string_append_len (nul, "#\0\n", 3);
		g_assert_true (g_file_set_contents (path, nul->str, (gssize) nul->len, &error));
		card = esim_veuicc_new_from_file (path, FALSE, &error);
		g_assert_null (card);
		g_assert_error (error, ESIM_VEUICC_ERROR, ESIM_VEUICC_ERROR_CORRUPT);
		g_assert_nonnull (strstr (error->message, "NUL"));
		g_clear_error (&error);
		while (huge->len <= 1024 * 1024)
			g_string_append (huge, "# padding padding padding padding padding padding\n");
		assert_corrupt (path, huge->str, "larger than");
	}
	{
		/* unknown keys and groups are fine (a later version may add some) */
		g_autofree gchar *extra = g_strconcat (good, "\n[future]\nthing=1\n", NULL);
		g_autofree gchar *extra_key = replace (extra, "[card]\n", "[card]\nfancy-feature=yes\n");
		g_autoptr(EsimVeuicc) card = NULL;
		g_assert_true (g_file_set_contents (path, extra_key, -1, &error));
		card = esim_veuicc_new_from_file (path, FALSE, &error);
		g_assert_no_error (error);
		g_assert_cmpstr (esim_veuicc_get_eid (card), ==, eid);
		g_assert_cmpuint (esim_veuicc_get_n_profiles (card), ==, 2);
		g_assert_cmpuint (esim_veuicc_get_n_notifications (card), ==, 2);
	}
	rm_tmp (dir, path);
}

/* Puts a regular file where @dir was (its contents moved to @aside), so nothing can be
 * written below it: unlike a read-only mode, that stops root too.  FALSE puts it back. */
static void
block_dir (const gchar *dir, const gchar *aside, gboolean block)
{
	g_autoptr(GError) error = NULL;

	if (block) {
		g_assert_cmpint (g_rename (dir, aside), ==, 0);
		g_assert_true (g_file_set_contents (dir, "", 0, &error));
		g_assert_no_error (error);
	} else {
		g_assert_cmpint (g_unlink (dir), ==, 0);
		g_assert_cmpint (g_rename (aside, dir), ==, 0);
	}
}

/* Runs a change that cannot be saved: 6581, no data, one warning. */
static void
assert_change_not_saved (EsimVeuicc *card, const gchar *request)
{
	g_autofree gchar *answer = NULL;
	guint16 sw = 0;

	g_test_expect_message ("esim-veuicc", G_LOG_LEVEL_WARNING, "change not made: *");
	answer = es10_full (card, 0, request, 255, 0x00, &sw);
	g_test_assert_expected_messages ();
	g_assert_cmphex (sw, ==, 0x6581);
	g_assert_cmpstr (answer, ==, "");
}

static void
test_failed_save_rolls_back (void)
{
	g_autofree gchar *top = NULL;
	g_autofree gchar *dir = NULL;
	g_autofree gchar *aside = NULL;
	g_autofree gchar *path = NULL;
	g_autofree gchar *on_disk = NULL;
	g_autofree gchar *profiles = NULL;
	g_autofree gchar *addresses = NULL;
	g_autofree gchar *notifications = NULL;
	g_autoptr(EsimVeuicc) card = NULL;
	g_autoptr(GError) error = NULL;
	/* every ES10 function that changes the card */
	const gchar *changes[] = {
		"BF3111A00C5A0A" ICCID_TEST_BCD "8101FF",        /* enable, with the implicit disable */
		"BF3211A00C5A0A" ICCID_OP_BCD "810100",         /* disable */
		"BF330C5A0A" ICCID_TEST_BCD,                    /* delete */
		"BF29155A0A" ICCID_OP_BCD "90076D792D63617264", /* nickname */
		"BF650780057A2E6E6574",                         /* default SM-DP+ address */
		V16,                                            /* AddInitialEim (allocates a token) */
		"BF6404820201 3F",                              /* memory reset, everything */
	};

	top = g_dir_make_tmp ("test-veuicc-XXXXXX", &error);
	g_assert_no_error (error);
	dir = g_build_filename (top, "state", NULL);
	aside = g_build_filename (top, "aside", NULL);
	path = g_build_filename (dir, "card.ini", NULL);
	g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
	card = esim_veuicc_new_from_file (path, TRUE, &error);
	g_assert_no_error (error);
	select_isdr (card, "00");
	on_disk = read_file (path);
	profiles = es10 (card, "BF2D00");
	addresses = es10 (card, "BF3C00");

	block_dir (dir, aside, TRUE);
	for (guint i = 0; i < G_N_ELEMENTS (changes); i++) {
		assert_change_not_saved (card, changes[i]);
		/* the card is still the one its file describes */
		assert_es10 (card, "BF2D00", profiles);
		assert_es10 (card, "BF3C00", addresses);
		assert_es10 (card, "BF5500", "BF5502A000");
		assert_es10 (card, "BF2800", "BF2802A000");
	}
	g_assert_false (esim_veuicc_add_profile (card, "8944476500000000039", "x", "y", "test", &error));
	g_assert_error (error, ESIM_VEUICC_ERROR, ESIM_VEUICC_ERROR_IO);
	g_clear_error (&error);
	g_assert_cmpuint (esim_veuicc_get_n_profiles (card), ==, 2);
	g_assert_cmpuint (esim_veuicc_get_n_notifications (card), ==, 0);
	block_dir (dir, aside, FALSE);
	{
		g_autofree gchar *now = read_file (path);
		g_assert_cmpstr (now, ==, on_disk);
	}

	/* saving works again; the failed attempts used no seqNumber and no token */
	assert_es10 (card, changes[0], "BF3103800100");
	assert_es10 (card, V16, "BF5705A003840101");
	notifications = es10 (card, "BF2800");
	g_assert_cmpstr (notifications, ==,
	                 "BF2852A050"
	                 "BF2F2580010181020520" ADDRESS "5A0A" ICCID_OP_BCD
	                 "BF2F2580010281020640" ADDRESS "5A0A" ICCID_TEST_BCD);
	/* removing a notification is rolled back too */
	block_dir (dir, aside, TRUE);
	assert_change_not_saved (card, "BF3003800101");
	assert_es10 (card, "BF2800", notifications);
	block_dir (dir, aside, FALSE);

	/* and what memory holds is what the file holds */
	{
		g_autoptr(EsimVeuicc) reloaded = esim_veuicc_new_from_file (path, FALSE, &error);
		g_autofree gchar *profiles_now = es10 (card, "BF2D00");
		g_autofree gchar *eims_now = es10 (card, "BF5500");
		g_assert_no_error (error);
		select_isdr (reloaded, "00");
		assert_es10 (reloaded, "BF2D00", profiles_now);
		assert_es10 (reloaded, "BF2800", notifications);
		assert_es10 (reloaded, "BF5500", eims_now);
	}
	g_unlink (path);
	g_rmdir (dir);
	g_rmdir (top);
}

static void
test_missing_file (void)
{
	g_autofree gchar *dir = NULL;
	g_autofree gchar *path = tmp_state_path (&dir);
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimVeuicc) card = NULL;
	g_autoptr(EsimVeuicc) card2 = NULL;

	card = esim_veuicc_new_from_file (path, FALSE, &error);
	g_assert_null (card);
	g_assert_error (error, ESIM_VEUICC_ERROR, ESIM_VEUICC_ERROR_IO);
	g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
	g_clear_error (&error);

	card = esim_veuicc_new_from_file (path, TRUE, &error);
	g_assert_no_error (error);
	g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
	/* a second card from the same file is the same card */
	card2 = esim_veuicc_new_from_file (path, TRUE, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (esim_veuicc_get_eid (card), ==, esim_veuicc_get_eid (card2));
	/* two fresh cards differ */
	{
		g_autoptr(EsimVeuicc) other = esim_veuicc_new_ephemeral ();
		g_assert_cmpstr (esim_veuicc_get_eid (other), !=, esim_veuicc_get_eid (card));
	}
	rm_tmp (dir, path);

	/* a directory that does not exist: IO error */
	g_clear_object (&card2);
	card2 = esim_veuicc_new_from_file ("/nonexistent-dir/x/card.ini", TRUE, &error);
	g_assert_null (card2);
	g_assert_error (error, ESIM_VEUICC_ERROR, ESIM_VEUICC_ERROR_IO);
}

static void
test_add_profile (void)
{
	g_autoptr(EsimVeuicc) card = esim_veuicc_new_ephemeral ();
	g_autoptr(GError) error = NULL;

	g_assert_false (esim_veuicc_add_profile (card, "1234", "x", "y", "test", &error));
	g_assert_nonnull (error);
	g_clear_error (&error);
	g_assert_false (esim_veuicc_add_profile (card, ICCID_OP, "x", "y", "test", &error));
	g_assert_nonnull (error);
	g_clear_error (&error);
	g_assert_false (esim_veuicc_add_profile (card, "8944476500000000039", "x", "y", "consumer", &error));
	g_assert_nonnull (error);
	g_clear_error (&error);
	g_assert_cmpuint (esim_veuicc_get_n_profiles (card), ==, 2);
	g_assert_true (esim_veuicc_add_profile (card, "8944476500000000039", "x", "y", "test", &error));
	g_assert_no_error (error);
	g_assert_cmpuint (esim_veuicc_get_n_profiles (card), ==, 3);
	select_isdr (card, "00");
	/* added profiles are disabled; 19 digits end in an F nibble */
	assert_es10 (card, "BF2D05A003950100",
	             "BF2D6DA06B" E3_TEST "E32B5A0A98447456000000 0030F9 4F10A0000005591010FFFFFFFF8900001200"
	             "9F700100 910179 920178 950100");
}

static void
test_reset (void)
{
	g_autoptr(EsimVeuicc) card = new_card ();

	assert_apdu (card, "0070000001", "019000");
	select_isdr (card, "01");
	assert_es10 (card, "BF3211A00C5A0A" ICCID_OP_BCD "810100", "BF3203800100");
	assert_apdu (card, "81E2110002BF3E", "9000");      /* a partial STORE DATA */
	assert_apdu (card, "80E2910003BF3E00", "6115");    /* a held response on channel 0 */

	esim_veuicc_reset (card);
	assert_apdu (card, "00C0000015", "6985");
	assert_apdu (card, "81E29101 0203 5C015A", "6881");  /* channel 1 closed */
	assert_apdu (card, "80E2910003BF3E00", "6985");    /* the ISD-R must be selected again */
	assert_apdu (card, "0070000001", "019000");
	select_isdr (card, "01");
	assert_apdu (card, "81E29101035C015A", "6A86");    /* the partial request is gone */
	/* persistent state survives */
	g_assert_cmpuint (esim_veuicc_get_n_profiles (card), ==, 2);
	g_assert_cmpuint (esim_veuicc_get_n_notifications (card), ==, 1);
}

/* ---- virtual channel ------------------------------------------------------------------------ */

typedef struct {
	GAsyncResult *result;
} AsyncData;

static void
async_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	AsyncData *data = user_data;
	data->result = g_object_ref (res);
}

static GAsyncResult *
wait_result (AsyncData *data)
{
	esim_test_wait_until (data->result != NULL, "the virtual channel's answer");
	return g_steal_pointer (&data->result);
}

static void
test_channel_virtual (void)
{
	g_autoptr(EsimVeuicc) card = esim_veuicc_new_ephemeral ();
	g_autoptr(EsimChannelVirtual) virt = esim_channel_virtual_new (card);
	EsimChannel *channel = ESIM_CHANNEL (virt);
	g_autoptr(GBytes) aid = hex_bytes (ISDR_AID);
	g_autoptr(GError) error = NULL;
	AsyncData data = { NULL };
	gint lchan;

	g_assert_cmpstr (esim_channel_get_transport (channel), ==, "virtual");
	g_assert_true (esim_channel_virtual_get_card (virt) == card);

	/* transmit completes later, from the main loop, never inside the call */
	{
		g_autoptr(GBytes) command = hex_bytes ("0070000001");
		g_autoptr(GAsyncResult) res = NULL;
		g_autoptr(GBytes) response = NULL;
		g_autofree gchar *hex = NULL;

		esim_channel_transmit_async (channel, 0, command, NULL, async_ready, &data);
		g_assert_null (data.result);
		res = wait_result (&data);
		response = esim_channel_transmit_finish (channel, res, &error);
		g_assert_no_error (error);
		hex = esim_hex_encode_bytes (response);
		g_assert_cmpstr (hex, ==, "019000");
		assert_apdu (card, "0070800100", "9000");
	}
	/* open: MANAGE CHANNEL + SELECT through transmit */
	{
		g_autoptr(GAsyncResult) res = NULL;
		esim_channel_open_async (channel, aid, NULL, async_ready, &data);
		g_assert_null (data.result);
		res = wait_result (&data);
		lchan = esim_channel_open_finish (channel, res, &error);
		g_assert_no_error (error);
		g_assert_cmpint (lchan, ==, 1);
	}
	/* the opened channel has the ISD-R selected */
	{
		g_autofree gchar *expected = g_strdup_printf ("BF3E125A10%s", esim_veuicc_get_eid (card));
		guint16 sw = 0;
		g_autofree gchar *answer = es10_full (card, 1, "BF3E035C015A", 255, 0x00, &sw);
		g_assert_cmphex (sw, ==, 0x9000);
		g_assert_cmpstr (answer, ==, expected);
	}
	/* a cancelled transmit reports cancellation and does not reach the card */
	{
		g_autoptr(GCancellable) cancellable = g_cancellable_new ();
		g_autoptr(GBytes) command = hex_bytes ("0070000001");
		g_autoptr(GAsyncResult) res = NULL;
		g_autoptr(GBytes) response = NULL;

		esim_channel_transmit_async (channel, 0, command, cancellable, async_ready, &data);
		g_cancellable_cancel (cancellable);
		res = wait_result (&data);
		response = esim_channel_transmit_finish (channel, res, &error);
		g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
		g_assert_null (response);
		g_clear_error (&error);
	}
	/* close */
	{
		g_autoptr(GAsyncResult) res = NULL;
		esim_channel_close_async (channel, lchan, NULL, async_ready, &data);
		res = wait_result (&data);
		g_assert_true (esim_channel_close_finish (channel, res, &error));
		g_assert_no_error (error);
		assert_apdu (card, "81E2910003BF3E00", "6881");
		/* the lowest free channel is 1 again: the cancelled open never reached the card */
		assert_apdu (card, "0070000001", "019000");
	}
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);

	g_test_add_func ("/veuicc/apdu/channels", test_channels);
	g_test_add_func ("/veuicc/apdu/select", test_select);
	g_test_add_func ("/veuicc/apdu/malformed", test_malformed_apdus);
	g_test_add_func ("/veuicc/apdu/store-data-segmentation", test_store_data_segmentation);
	g_test_add_func ("/veuicc/apdu/get-response-chaining", test_get_response_chaining);
	g_test_add_func ("/veuicc/apdu/reset", test_reset);
	g_test_add_func ("/veuicc/es10/get-eid", test_get_eid);
	g_test_add_func ("/veuicc/es10/euicc-info", test_euicc_info);
	g_test_add_func ("/veuicc/es10/profiles-info", test_profiles_info);
	g_test_add_func ("/veuicc/es10/enable-switch", test_enable_switch);
	g_test_add_func ("/veuicc/es10/disable-delete", test_disable_delete);
	g_test_add_func ("/veuicc/es10/nickname", test_nickname);
	g_test_add_func ("/veuicc/es10/notifications", test_notifications);
	g_test_add_func ("/veuicc/es10/addresses", test_addresses);
	g_test_add_func ("/veuicc/es10/rat", test_rat);
	g_test_add_func ("/veuicc/es10/certs", test_certs);
	g_test_add_func ("/veuicc/es10/eim", test_eim);
	g_test_add_func ("/veuicc/es10/memory-reset", test_memory_reset);
	g_test_add_func ("/veuicc/es10/ipae", test_ipae);
	g_test_add_func ("/veuicc/state/persistence", test_persistence);
	g_test_add_func ("/veuicc/state/seq-across-reload", test_seq_across_reload);
	g_test_add_func ("/veuicc/state/corrupt", test_corrupt);
	g_test_add_func ("/veuicc/state/missing-file", test_missing_file);
	g_test_add_func ("/veuicc/state/failed-save-rolls-back", test_failed_save_rolls_back);
	g_test_add_func ("/veuicc/state/add-profile", test_add_profile);
	g_test_add_func ("/veuicc/channel-virtual", test_channel_virtual);

	return g_test_run ();
}
