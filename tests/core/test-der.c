/* SPDX-License-Identifier: GPL-2.0-or-later */
/* DER reader and writer: edge cases, real-card vectors and round trips. */

#include <string.h>

#include "esim-der.h"
#include "esim-util.h"

/* vectors.md V7: ProvideEimPackageResult from a real IoT eUICC (long-form lengths at three levels) */
static const gchar *V7_HEX =
	"BF508201B95A1089044045930000000000002153893210BF518201A2A082019E30820157801065696D2E73796D"
	"622D696F742E636F6D81010D821084C760645756D9C31BF1A45211C1C5BF83010E30820129BF2D820124A08201"
	"20E34D5A0A980010325476981032144F10A0000005591010FFFFFFFF89000011009F70010091054B6967656E92"
	"1F47534D412047656E6572696320655549434320546573742050726F66696C65950100E3455A0A984405316081"
	"036340614F10A0000005591010FFFFFFFF89000012009F70010091054B6967656E92134B6967656E2D5443412D"
	"4A542D5347502E33329501029F6701FFE3435A0A985376076212944410F54F10A0000005591010FFFFFFFF8900"
	"0013009F70010091064D656C69746192143839333536373730323632313439343430313546950102E3435A0A98"
	"5376076212944420F34F10A0000005591010FFFFFFFF89000014009F70010191064D656C697461921438393335"
	"363737303236323134393434303233469501025F3740C493A349A3EFC826EE2CEB30B812CE33D87A17D78A9346"
	"1853DEBEE32CD59F13C77B393EB1D17EFEAFDCE3EAA828F97F8152984DF6B5CAF407E8238CF19D3904";

/* vectors.md V4: EuiccPackageRequest (81-form length at the top) */
static const gchar *V4_HEX =
	"BF51818A3045800C672D65696D2E636F6D2E62725A1089049032000000000000279973200019810105821000000"
	"000000003676A9E55E6FF224E0FA00EA30C5A0A988803680521828917F05F3740D38574477C5EFCCBF689FD9F93"
	"9CA02B360630B3E8044702A44EE55D169045D596C65238CB3CF978C62C1DB2016550034199AA22227E8F5BD952"
	"4C362408F0B4";

static GBytes *
hex (const gchar *str)
{
	g_autoptr(GError) error = NULL;
	GBytes *bytes = esim_hex_decode (str, &error);
	g_assert_no_error (error);
	g_assert_nonnull (bytes);
	return bytes;
}

static void
assert_bytes_hex (GBytes *bytes, const gchar *expected)
{
	g_autofree gchar *got = NULL;

	g_assert_nonnull (bytes);
	got = esim_hex_encode_bytes (bytes);
	g_assert_cmpstr (got, ==, expected);
}

/* Parses @str as one TLV; asserts failure with @code (or success when @code < 0). */
static void
assert_parse (const gchar *str, gint code, EsimTlv *out)
{
	g_autoptr(GBytes) bytes = hex (str);
	g_autoptr(GError) error = NULL;
	EsimTlv tlv = { 0 };
	gsize len = 0;
	const guint8 *data = g_bytes_get_data (bytes, &len);
	gboolean ok;

	ok = esim_tlv_parse (data, len, &tlv, NULL, &error);
	if (code < 0) {
		g_assert_no_error (error);
		g_assert_true (ok);
		if (out != NULL) {
			/* the pointers reach into @bytes: keep only what is not a pointer */
			out->tag = tlv.tag;
			out->constructed = tlv.constructed;
			out->raw_len = tlv.raw_len;
			out->len = tlv.len;
			out->raw = NULL;
			out->value = NULL;
		}
	} else {
		g_assert_error (error, ESIM_DER_ERROR, code);
		g_assert_false (ok);
	}
}

static void
test_der_short_and_long_lengths (void)
{
	EsimTlv tlv;
	g_autoptr(GString) str = NULL;

	assert_parse ("0400", -1, &tlv);
	g_assert_cmpuint (tlv.len, ==, 0);
	g_assert_cmpuint (tlv.raw_len, ==, 2);
	assert_parse ("04027F01", -1, &tlv);
	g_assert_cmpuint (tlv.len, ==, 2);

	/* 81: 128 bytes */
	str = g_string_new ("048180");
	for (guint i = 0; i < 128; i++)
		g_string_append (str, "AB");
	assert_parse (str->str, -1, &tlv);
	g_assert_cmpuint (tlv.len, ==, 128);
	g_assert_cmpuint (tlv.raw_len, ==, 131);

	/* 82: 300 bytes */
	g_string_assign (str, "0482012C");
	for (guint i = 0; i < 300; i++)
		g_string_append (str, "01");
	assert_parse (str->str, -1, &tlv);
	g_assert_cmpuint (tlv.len, ==, 300);
	g_assert_cmpuint (tlv.raw_len, ==, 304);

	/* 83 and 84: 70000 bytes */
	g_string_assign (str, "0483011170");
	for (guint i = 0; i < 70000; i++)
		g_string_append (str, "00");
	assert_parse (str->str, -1, &tlv);
	g_assert_cmpuint (tlv.len, ==, 70000);
	g_assert_cmpuint (tlv.raw_len, ==, 70005);
	g_string_assign (str, "048400011170");
	for (guint i = 0; i < 70000; i++)
		g_string_append (str, "00");
	assert_parse (str->str, -1, &tlv);
	g_assert_cmpuint (tlv.len, ==, 70000);
	g_assert_cmpuint (tlv.raw_len, ==, 70006);
}

/* Non-minimal long-form lengths are valid BER; the reader accepts them (and keeps the raw bytes). */
static void
test_der_non_minimal_length (void)
{
	EsimTlv tlv;

	assert_parse ("048105AABBCCDDEE", -1, &tlv);
	g_assert_cmpuint (tlv.len, ==, 5);
	g_assert_cmpuint (tlv.raw_len, ==, 8);
	assert_parse ("04820003AABBCC", -1, &tlv);
	g_assert_cmpuint (tlv.len, ==, 3);
	g_assert_cmpuint (tlv.raw_len, ==, 7);
	assert_parse ("0484000000020102", -1, &tlv);
	g_assert_cmpuint (tlv.len, ==, 2);
	g_assert_cmpuint (tlv.raw_len, ==, 8);
}

static void
test_der_bad_lengths (void)
{
	/* indefinite */
	assert_parse ("3080040000000000", ESIM_DER_ERROR_BAD_LENGTH, NULL);
	/* more than 4 length bytes, and the reserved FF */
	assert_parse ("04850000000001AA", ESIM_DER_ERROR_BAD_LENGTH, NULL);
	assert_parse ("04FF", ESIM_DER_ERROR_BAD_LENGTH, NULL);
	/* past the end */
	assert_parse ("04050102", ESIM_DER_ERROR_TRUNCATED, NULL);
	assert_parse ("048180AABB", ESIM_DER_ERROR_TRUNCATED, NULL);
	/* lengths that would overflow pointer/size arithmetic */
	assert_parse ("0484FFFFFFFF00", ESIM_DER_ERROR_TRUNCATED, NULL);
	assert_parse ("0484FFFFFFFA", ESIM_DER_ERROR_TRUNCATED, NULL);
	assert_parse ("BF8101 84FFFFFFFE 0102", ESIM_DER_ERROR_TRUNCATED, NULL);
	/* truncated inside the length field */
	assert_parse ("0482", ESIM_DER_ERROR_TRUNCATED, NULL);
	assert_parse ("048401", ESIM_DER_ERROR_TRUNCATED, NULL);
	assert_parse ("04", ESIM_DER_ERROR_TRUNCATED, NULL);
	assert_parse ("", ESIM_DER_ERROR_TRUNCATED, NULL);
}

static void
test_der_overflow_in_iteration (void)
{
	/* a child claiming ~4 GiB inside a small parent must not escape the parent */
	g_autoptr(GBytes) bytes = hex ("3008" "0484FFFFFFF0" "0000" "0400");
	g_autoptr(GError) error = NULL;
	EsimTlv parent;
	EsimTlv child;
	EsimTlvIter iter;
	gsize len = 0;
	const guint8 *data = g_bytes_get_data (bytes, &len);

	/* parent is 30 08 {8 bytes}, then 04 00 trailing */
	g_assert_true (esim_tlv_parse (data, len, &parent, NULL, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (parent.len, ==, 8);
	esim_tlv_iter_init (&iter, &parent);
	g_assert_false (esim_tlv_iter_next (&iter, &child, &error));
	g_assert_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_TRUNCATED);
	g_clear_error (&error);
	/* the iterator stops for good after a framing error */
	g_assert_false (esim_tlv_iter_next (&iter, &child, &error));
	g_assert_no_error (error);
}

static void
test_der_multibyte_tags (void)
{
	EsimTlv tlv;

	assert_parse ("BF3E035C015A", -1, &tlv);
	g_assert_cmphex (tlv.tag, ==, 0xBF3E);
	g_assert_true (tlv.constructed);
	g_assert_cmpuint (tlv.len, ==, 3);
	assert_parse ("9F700101", -1, &tlv);
	g_assert_cmphex (tlv.tag, ==, 0x9F70);
	g_assert_false (tlv.constructed);
	assert_parse ("5F370100", -1, &tlv);
	g_assert_cmphex (tlv.tag, ==, 0x5F37);
	g_assert_false (tlv.constructed);
	assert_parse ("BF2000", -1, &tlv);
	g_assert_cmphex (tlv.tag, ==, 0xBF20);
	/* tag number 129: three bytes */
	assert_parse ("BF810100", -1, &tlv);
	g_assert_cmphex (tlv.tag, ==, 0xBF8101);
	g_assert_cmpuint (tlv.raw_len, ==, 4);
	/* four bytes is the maximum */
	assert_parse ("BF81800102AABB", -1, &tlv);
	g_assert_cmphex (tlv.tag, ==, 0xBF818001);
	g_assert_cmpuint (tlv.len, ==, 2);
	/* single-byte tags keep the class and constructed bits */
	assert_parse ("5A00", -1, &tlv);
	g_assert_cmphex (tlv.tag, ==, 0x5A);
	assert_parse ("E300", -1, &tlv);
	g_assert_cmphex (tlv.tag, ==, 0xE3);
	g_assert_true (tlv.constructed);
}

static void
test_der_bad_tags (void)
{
	/* five tag bytes */
	assert_parse ("BF8181810100", ESIM_DER_ERROR_BAD_TAG, NULL);
	/* leading zero in the tag number */
	assert_parse ("BF800100", ESIM_DER_ERROR_BAD_TAG, NULL);
	/* tag number below 31 in the long form */
	assert_parse ("9F1E00", ESIM_DER_ERROR_BAD_TAG, NULL);
	/* truncated tags */
	assert_parse ("BF", ESIM_DER_ERROR_TRUNCATED, NULL);
	assert_parse ("BF81", ESIM_DER_ERROR_TRUNCATED, NULL);
	assert_parse ("BF3E", ESIM_DER_ERROR_TRUNCATED, NULL);
}

/* Recursively frames every constructed element; returns the number of elements. */
static guint
walk (const guint8 *data, gsize len, guint depth, GError **error)
{
	EsimTlvIter iter;
	EsimTlv tlv;
	guint count = 0;

	esim_tlv_iter_init_buf (&iter, data, len);
	while (esim_tlv_iter_next (&iter, &tlv, error)) {
		count++;
		g_assert_true (tlv.raw >= data && tlv.raw + tlv.raw_len <= data + len);
		if (tlv.constructed && depth < 16) {
			count += walk (tlv.value, tlv.len, depth + 1, error);
			if (error != NULL && *error != NULL)
				return count;
		}
	}
	return count;
}

static void
test_der_truncated_prefixes (void)
{
	const gchar *vectors[] = { V7_HEX, V4_HEX, "BF3E125A1089049032000000000000279973200019" };

	for (guint v = 0; v < G_N_ELEMENTS (vectors); v++) {
		g_autoptr(GBytes) bytes = hex (vectors[v]);
		gsize len = 0;
		const guint8 *data = g_bytes_get_data (bytes, &len);
		EsimTlv tlv;

		/* the whole vector parses and frames cleanly */
		{
			g_autoptr(GError) error = NULL;
			g_assert_true (esim_tlv_parse_exact (data, len, &tlv, &error));
			g_assert_no_error (error);
			g_assert_cmpuint (walk (data, len, 0, &error), >, 1);
			g_assert_no_error (error);
		}
		/* every strict prefix fails with TRUNCATED and never reads past it */
		for (gsize n = 0; n < len; n++) {
			g_autoptr(GError) error = NULL;
			g_autofree guint8 *copy = g_memdup2 (data, n);

			g_assert_false (esim_tlv_parse_exact (copy, n, &tlv, &error));
			g_assert_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_TRUNCATED);
			g_clear_error (&error);
			g_assert_false (esim_tlv_parse (copy, n, &tlv, NULL, &error));
			g_assert_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_TRUNCATED);
		}
	}
}

static void
test_der_trailing_and_tagged (void)
{
	g_autoptr(GBytes) bytes = hex ("5A01000000");
	g_autoptr(GError) error = NULL;
	EsimTlv tlv;
	gsize consumed = 0;
	gsize len = 0;
	const guint8 *data = g_bytes_get_data (bytes, &len);

	g_assert_true (esim_tlv_parse (data, len, &tlv, &consumed, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (consumed, ==, 3);
	g_assert_false (esim_tlv_parse_exact (data, len, &tlv, &error));
	g_assert_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_TRAILING_DATA);
	g_clear_error (&error);
	g_assert_true (esim_tlv_parse_tagged (data, 3, 0x5A, &tlv, &error));
	g_assert_no_error (error);
	g_assert_false (esim_tlv_parse_tagged (data, 3, 0x5B, &tlv, &error));
	g_assert_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_UNEXPECTED_TAG);
}

static void
test_der_v7_nested (void)
{
	g_autoptr(GBytes) bytes = hex (V7_HEX);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *eid = NULL;
	g_autofree gchar *eim_id = NULL;
	EsimTlv top, tlv, bf51, a0, signed_data, result, bf2d, list, sig;
	EsimTlvIter iter;
	EsimTlv profile;
	guint64 u = 0;
	guint n_profiles = 0;
	const gchar *expected_iccids[] = {
		"89000123456789012341", "89445013061830360416", "8935677026214944015", "8935677026214944023",
	};
	const guint expected_state[] = { 0, 0, 0, 1 };
	gsize len = 0;
	const guint8 *data = g_bytes_get_data (bytes, &len);

	g_assert_true (esim_tlv_parse_tagged (data, len, 0xBF50, &top, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (top.len, ==, 0x1B9);

	g_assert_true (esim_tlv_find (&top, 0x5A, &tlv, &error));
	eid = esim_eid_from_bytes (tlv.value, tlv.len, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, "89044045930000000000002153893210");

	g_assert_true (esim_tlv_find (&top, 0xBF51, &bf51, &error));
	g_assert_cmpuint (bf51.len, ==, 0x1A2);
	g_assert_true (esim_tlv_find (&bf51, 0xA0, &a0, &error));
	g_assert_cmpuint (a0.len, ==, 0x19E);
	g_assert_true (esim_tlv_find (&a0, 0x30, &signed_data, &error));
	g_assert_cmpuint (signed_data.len, ==, 0x157);
	g_assert_true (esim_tlv_find (&signed_data, 0x80, &tlv, &error));
	eim_id = esim_tlv_dup_utf8 (&tlv, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eim_id, ==, "eim.symb-iot.com");
	g_assert_true (esim_tlv_find (&signed_data, 0x81, &tlv, &error));
	g_assert_true (esim_tlv_get_uint (&tlv, &u, &error));
	g_assert_cmpuint (u, ==, 13);
	g_assert_true (esim_tlv_find (&signed_data, 0x83, &tlv, &error));
	g_assert_true (esim_tlv_get_uint (&tlv, &u, &error));
	g_assert_cmpuint (u, ==, 14);
	g_assert_true (esim_tlv_find (&signed_data, 0x30, &result, &error));
	g_assert_true (esim_tlv_find (&result, 0xBF2D, &bf2d, &error));
	g_assert_true (esim_tlv_find (&bf2d, 0xA0, &list, &error));
	g_assert_no_error (error);

	esim_tlv_iter_init (&iter, &list);
	while (esim_tlv_iter_next (&iter, &profile, &error)) {
		g_autofree gchar *iccid = NULL;
		g_autofree gchar *provider = NULL;
		gboolean fallback = FALSE;

		g_assert_cmphex (profile.tag, ==, 0xE3);
		g_assert_cmpuint (n_profiles, <, G_N_ELEMENTS (expected_iccids));
		g_assert_true (esim_tlv_find (&profile, 0x5A, &tlv, &error));
		iccid = esim_iccid_from_bcd (tlv.value, tlv.len, &error);
		g_assert_no_error (error);
		g_assert_cmpstr (iccid, ==, expected_iccids[n_profiles]);
		g_assert_true (esim_tlv_find (&profile, 0x9F70, &tlv, &error));
		g_assert_true (esim_tlv_get_uint (&tlv, &u, &error));
		g_assert_cmpuint (u, ==, expected_state[n_profiles]);
		g_assert_true (esim_tlv_find (&profile, 0x91, &tlv, &error));
		provider = esim_tlv_dup_utf8 (&tlv, &error);
		g_assert_cmpstr (provider, ==, n_profiles < 2 ? "Kigen" : "Melita");
		/* only the second profile carries fallbackAllowed (9F67 FF) */
		if (esim_tlv_find (&profile, 0x9F67, &tlv, &error)) {
			g_assert_cmpuint (n_profiles, ==, 1);
			g_assert_true (esim_tlv_get_bool (&tlv, &fallback, &error));
			g_assert_true (fallback);
		}
		g_assert_no_error (error);
		n_profiles++;
	}
	g_assert_no_error (error);
	g_assert_cmpuint (n_profiles, ==, 4);

	g_assert_true (esim_tlv_find (&a0, 0x5F37, &sig, &error));
	g_assert_cmpuint (sig.len, ==, 64);
	g_assert_cmphex (sig.value[0], ==, 0xC4);
	g_assert_cmphex (sig.value[63], ==, 0x04);
	g_assert_true (sig.value + sig.len == data + len);

	/* raw bytes of a nested element are exactly its slice of the input */
	{
		g_autoptr(GBytes) raw = esim_tlv_dup_raw (&signed_data);
		g_autoptr(GBytes) value = esim_tlv_dup_value (&signed_data);
		g_assert_cmpuint (g_bytes_get_size (raw), ==, 0x157 + 4);
		g_assert_cmpuint (g_bytes_get_size (value), ==, 0x157);
		g_assert_true (memcmp (g_bytes_get_data (raw, NULL), signed_data.raw, 0x15B) == 0);
		g_assert_cmphex (((const guint8 *) g_bytes_get_data (raw, NULL))[0], ==, 0x30);
		g_assert_cmphex (((const guint8 *) g_bytes_get_data (raw, NULL))[1], ==, 0x82);
	}
	/* absent: FALSE without an error */
	g_assert_false (esim_tlv_find (&top, 0x99, &tlv, &error));
	g_assert_no_error (error);
}

static void
test_der_find_malformed (void)
{
	/* second child runs past the parent */
	g_autoptr(GBytes) bytes = hex ("3007" "8001AA" "8105BBCC" "00");
	g_autoptr(GError) error = NULL;
	EsimTlv parent;
	EsimTlv tlv;
	gsize len = 0;
	const guint8 *data = g_bytes_get_data (bytes, &len);

	g_assert_true (esim_tlv_parse (data, len, &parent, NULL, &error));
	g_assert_true (esim_tlv_find (&parent, 0x80, &tlv, &error));
	g_assert_no_error (error);
	g_assert_false (esim_tlv_find (&parent, 0x82, &tlv, &error));
	g_assert_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_TRUNCATED);
}

static void
test_der_integers (void)
{
	struct {
		guint64 value;
		const gchar *der;
	} uints[] = {
		{ 0, "020100" },
		{ 127, "02017F" },
		{ 128, "02020080" },
		{ 255, "020200FF" },
		{ 256, "02020100" },
		{ 65535, "020300FFFF" },
		{ G_MAXUINT64, "020900FFFFFFFFFFFFFFFF" },
	};
	struct {
		gint64 value;
		const gchar *der;
	} ints[] = {
		{ 0, "020100" },
		{ 127, "02017F" },
		{ 128, "02020080" },
		{ 255, "020200FF" },
		{ 256, "02020100" },
		{ -1, "0201FF" },
		{ -128, "020180" },
		{ -129, "0202FF7F" },
		{ -256, "0202FF00" },
		{ G_MAXINT64, "02087FFFFFFFFFFFFFFF" },
		{ G_MININT64, "02088000000000000000" },
	};

	for (guint i = 0; i < G_N_ELEMENTS (uints); i++) {
		g_autoptr(EsimDerWriter) w = esim_der_writer_new ();
		g_autoptr(GBytes) out = NULL;
		g_autoptr(GError) error = NULL;
		EsimTlv tlv;
		guint64 back = 0;

		esim_der_writer_put_uint (w, 0x02, uints[i].value);
		out = esim_der_writer_finish (w);
		assert_bytes_hex (out, uints[i].der);
		g_assert_true (esim_tlv_parse_exact (g_bytes_get_data (out, NULL),
						     g_bytes_get_size (out), &tlv, &error));
		g_assert_true (esim_tlv_get_uint (&tlv, &back, &error));
		g_assert_no_error (error);
		g_assert_cmpuint (back, ==, uints[i].value);
	}
	for (guint i = 0; i < G_N_ELEMENTS (ints); i++) {
		g_autoptr(EsimDerWriter) w = esim_der_writer_new ();
		g_autoptr(GBytes) out = NULL;
		g_autoptr(GError) error = NULL;
		EsimTlv tlv;
		gint64 back = 0;

		esim_der_writer_put_int (w, 0x02, ints[i].value);
		out = esim_der_writer_finish (w);
		assert_bytes_hex (out, ints[i].der);
		g_assert_true (esim_tlv_parse_exact (g_bytes_get_data (out, NULL),
						     g_bytes_get_size (out), &tlv, &error));
		g_assert_true (esim_tlv_get_int (&tlv, &back, &error));
		g_assert_no_error (error);
		g_assert_cmpint (back, ==, ints[i].value);
	}
}

static void
test_der_integer_readers (void)
{
	struct {
		const gchar *der;
		gboolean uint_ok;
		guint64 uint_value;
		gboolean int_ok;
		gint64 int_value;
	} cases[] = {
		{ "8401FF", FALSE, 0, TRUE, -1 }, /* V16 associationToken */
		{ "800105", TRUE, 5, TRUE, 5 },
		{ "80020080", TRUE, 128, TRUE, 128 },
		{ "8003000080", TRUE, 128, TRUE, 128 }, /* redundant leading zero tolerated */
		{ "8003FFFF80", FALSE, 0, TRUE, -128 },  /* redundant sign byte tolerated */
		{ "800900FFFFFFFFFFFFFFFF", TRUE, G_MAXUINT64, FALSE, 0 },
		{ "8009010000000000000000", FALSE, 0, FALSE, 0 },
		{ "8000", FALSE, 0, FALSE, 0 },
		{ "A0030201FF", FALSE, 0, FALSE, 0 }, /* constructed */
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr(GBytes) bytes = hex (cases[i].der);
		g_autoptr(GError) error = NULL;
		EsimTlv tlv;
		guint64 u = 0;
		gint64 s = 0;
		gboolean ok;

		g_assert_true (esim_tlv_parse_exact (g_bytes_get_data (bytes, NULL),
						     g_bytes_get_size (bytes), &tlv, &error));
		g_assert_no_error (error);
		ok = esim_tlv_get_uint (&tlv, &u, &error);
		g_assert_cmpint (ok, ==, cases[i].uint_ok);
		if (ok) {
			g_assert_cmpuint (u, ==, cases[i].uint_value);
		} else {
			g_assert_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE);
			g_clear_error (&error);
		}
		ok = esim_tlv_get_int (&tlv, &s, &error);
		g_assert_cmpint (ok, ==, cases[i].int_ok);
		if (ok)
			g_assert_cmpint (s, ==, cases[i].int_value);
		else
			g_assert_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE);
	}
}

static void
test_der_bool (void)
{
	g_autoptr(EsimDerWriter) w = esim_der_writer_new ();
	g_autoptr(GBytes) out = NULL;
	const gchar *bad[] = { "0100", "0102FFFF" };

	esim_der_writer_put_bool (w, 0x81, TRUE);
	esim_der_writer_put_bool (w, 0x01, FALSE);
	esim_der_writer_put_null (w, 0x05);
	out = esim_der_writer_finish (w);
	assert_bytes_hex (out, "8101FF0101000500");

	for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr(GBytes) bytes = hex (bad[i]);
		g_autoptr(GError) error = NULL;
		EsimTlv tlv;
		gboolean value = FALSE;

		g_assert_true (esim_tlv_parse_exact (g_bytes_get_data (bytes, NULL),
						     g_bytes_get_size (bytes), &tlv, &error));
		g_assert_false (esim_tlv_get_bool (&tlv, &value, &error));
		g_assert_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE);
	}
	{
		g_autoptr(GError) error = NULL;
		EsimTlv tlv;
		gboolean value = TRUE;
		const guint8 *data = g_bytes_get_data (out, NULL);

		g_assert_true (esim_tlv_parse (data, 3, &tlv, NULL, &error));
		g_assert_true (esim_tlv_get_bool (&tlv, &value, &error));
		g_assert_true (value);
		g_assert_true (esim_tlv_parse (data + 3, 3, &tlv, NULL, &error));
		g_assert_true (esim_tlv_get_bool (&tlv, &value, &error));
		g_assert_false (value);
		g_assert_no_error (error);
	}
}

static void
test_der_named_bits (void)
{
	struct {
		EsimTag tag;
		guint32 mask;
		const gchar *der;
	} cases[] = {
		{ 0x82, 0x3, "820206C0" },       /* resetOptions bits 0,1: 6 unused bits */
		{ 0x81, 1u << 3, "81020410" },   /* notificationDelete, as in V8 */
		{ 0x81, 1u << 0, "81020780" },   /* notificationInstall, as in V14 */
		{ 0x03, 0, "030100" },           /* no bit set: no value bytes at all */
		{ 0x03, 1u << 7, "03020001" },   /* exactly one full byte */
		{ 0x03, 1u << 8, "0303070080" }, /* bit 8 starts a second byte */
		{ 0x03, 0x80000001u, "03050080000001" },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr(EsimDerWriter) w = esim_der_writer_new ();
		g_autoptr(GBytes) out = NULL;
		g_autoptr(GError) error = NULL;
		EsimTlv tlv;
		const guint8 *bits = NULL;
		gsize n_bits = 0;

		esim_der_writer_put_named_bits (w, cases[i].tag, cases[i].mask);
		out = esim_der_writer_finish (w);
		assert_bytes_hex (out, cases[i].der);
		g_assert_true (esim_tlv_parse_exact (g_bytes_get_data (out, NULL),
						     g_bytes_get_size (out), &tlv, &error));
		g_assert_true (esim_tlv_get_bits (&tlv, &bits, &n_bits, &error));
		g_assert_no_error (error);
		/* and back: the reader's mask is the writer's */
		{
			guint32 mask = 0;
			g_assert_true (esim_tlv_get_named_bits (&tlv, 32, &mask, &error));
			g_assert_no_error (error);
			g_assert_cmphex (mask, ==, cases[i].mask);
		}
		for (guint bit = 0; bit < 32; bit++) {
			g_assert_cmpint (esim_tlv_bit_is_set (&tlv, bit), ==,
					 (cases[i].mask >> bit) & 1);
			if (bit < n_bits)
				g_assert_cmpint ((bits[bit / 8] >> (7 - bit % 8)) & 1, ==,
						 (cases[i].mask >> bit) & 1);
		}
	}
}

static void
test_der_get_bits (void)
{
	/* V11 forbiddenProfilePolicyRules: 6 unused bits, bits 0 and 1 set */
	g_autoptr(GBytes) bytes = hex ("990206C0");
	g_autoptr(GError) error = NULL;
	const gchar *bad[] = { "0300", "030108", "03020800", "0302FF00" };
	EsimTlv tlv;
	const guint8 *bits = NULL;
	gsize n_bits = 0;

	g_assert_true (esim_tlv_parse_exact (g_bytes_get_data (bytes, NULL), 4, &tlv, &error));
	g_assert_true (esim_tlv_get_bits (&tlv, &bits, &n_bits, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (n_bits, ==, 2);
	g_assert_cmphex (bits[0], ==, 0xC0);
	g_assert_true (esim_tlv_bit_is_set (&tlv, 0));
	g_assert_true (esim_tlv_bit_is_set (&tlv, 1));
	g_assert_false (esim_tlv_bit_is_set (&tlv, 2));
	g_assert_false (esim_tlv_bit_is_set (&tlv, 100));
	g_assert_false (esim_tlv_bit_is_set (NULL, 0));

	for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr(GBytes) b = hex (bad[i]);
		g_autoptr(GError) error_local = NULL;
		guint32 mask = 0;

		g_assert_true (esim_tlv_parse_exact (g_bytes_get_data (b, NULL),
						     g_bytes_get_size (b), &tlv, &error_local));
		g_assert_false (esim_tlv_get_bits (&tlv, &bits, &n_bits, &error_local));
		g_assert_error (error_local, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE);
		g_assert_false (esim_tlv_bit_is_set (&tlv, 0));
		g_clear_error (&error_local);
		g_assert_false (esim_tlv_get_named_bits (&tlv, 32, &mask, &error_local));
		g_assert_error (error_local, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE);
	}

	/* named bits as a mask: PprIds 99 02 06 C0 = pprUpdateControl (0) and ppr1 (1);
	 * bits past max_bits are left out (a 4-bit NotificationEvent in a longer string) */
	{
		g_autoptr(GBytes) longer = hex ("03030088FF");
		guint32 mask = 0;

		g_assert_true (esim_tlv_parse_exact (g_bytes_get_data (bytes, NULL), 4, &tlv, &error));
		g_assert_true (esim_tlv_get_named_bits (&tlv, 32, &mask, &error));
		g_assert_cmphex (mask, ==, 0x3);
		g_assert_true (esim_tlv_parse_exact (g_bytes_get_data (longer, NULL), 5, &tlv, &error));
		g_assert_true (esim_tlv_get_named_bits (&tlv, 4, &mask, &error));
		g_assert_cmphex (mask, ==, 1u << 0);
		g_assert_true (esim_tlv_get_named_bits (&tlv, 32, &mask, &error));
		g_assert_cmphex (mask, ==, 0xFF11u);
		g_assert_no_error (error);
	}
}

static void
test_der_utf8 (void)
{
	const gchar *bad[] = { "0C03610062", "0C02C328", "0C01FF", "2C00" };
	g_autoptr(GBytes) ok = hex ("0C05C3A96D6F6A");
	g_autoptr(GError) error = NULL;
	g_autofree gchar *str = NULL;
	g_autofree gchar *empty = NULL;
	g_autoptr(GBytes) empty_bytes = hex ("0C00");
	EsimTlv tlv;

	g_assert_true (esim_tlv_parse_exact (g_bytes_get_data (ok, NULL), 7, &tlv, &error));
	str = esim_tlv_dup_utf8 (&tlv, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (str, ==, "émoj");
	g_assert_true (esim_tlv_parse_exact (g_bytes_get_data (empty_bytes, NULL), 2, &tlv, &error));
	empty = esim_tlv_dup_utf8 (&tlv, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (empty, ==, "");

	for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr(GBytes) b = hex (bad[i]);
		g_autoptr(GError) error_local = NULL;
		g_autofree gchar *s = NULL;

		g_assert_true (esim_tlv_parse_exact (g_bytes_get_data (b, NULL),
						     g_bytes_get_size (b), &tlv, &error_local));
		s = esim_tlv_dup_utf8 (&tlv, &error_local);
		g_assert_null (s);
		g_assert_error (error_local, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE);
	}
}

static void
test_der_encode_tag_length (void)
{
	struct {
		gsize len;
		const gchar *enc;
	} lengths[] = {
		{ 0, "00" },           { 127, "7F" },           { 128, "8180" },
		{ 255, "81FF" },       { 256, "820100" },       { 65535, "82FFFF" },
		{ 65536, "83010000" }, { 0xFFFFFF, "83FFFFFF" }, { 0x1000000, "8401000000" },
		{ G_MAXUINT32, "84FFFFFFFF" },
	};
	struct {
		EsimTag tag;
		const gchar *enc;
	} tags[] = {
		{ 0x5A, "5A" }, { 0xBF3E, "BF3E" }, { 0x9F70, "9F70" },
		{ 0xBF8101, "BF8101" }, { 0xBF818001, "BF818001" },
	};

	for (guint i = 0; i < G_N_ELEMENTS (lengths); i++) {
		guint8 buf[5];
		gsize n = esim_der_encode_length (lengths[i].len, buf);
		g_autofree gchar *got = esim_hex_encode (buf, n);
		g_assert_cmpstr (got, ==, lengths[i].enc);
	}
	for (guint i = 0; i < G_N_ELEMENTS (tags); i++) {
		guint8 buf[4];
		gsize n = esim_der_encode_tag (tags[i].tag, buf);
		g_autofree gchar *got = esim_hex_encode (buf, n);
		g_assert_cmpstr (got, ==, tags[i].enc);
	}
}

static void
test_der_writer_nesting (void)
{
	g_autoptr(EsimDerWriter) w = esim_der_writer_new ();
	g_autoptr(GBytes) out = NULL;
	g_autoptr(GBytes) big = NULL;
	g_autoptr(GBytes) value = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree guint8 *payload = g_malloc (300);
	const guint8 tag5a = 0x5A;
	const guint8 raw[] = { 0x80, 0x01, 0x13 };
	EsimTlv top, a0, child;

	/* V2's GetEuiccDataRequest */
	esim_der_writer_begin (w, 0xBF3E);
	esim_der_writer_put (w, 0x5C, &tag5a, 1);
	esim_der_writer_end (w);
	out = esim_der_writer_finish (w);
	assert_bytes_hex (out, "BF3E035C015A");
	g_clear_pointer (&out, g_bytes_unref);

	/* V12's RetrieveNotificationsList with a search criterion, writer reused */
	esim_der_writer_begin (w, 0xBF2B);
	esim_der_writer_begin (w, 0xA0);
	esim_der_writer_put_raw (w, raw, sizeof (raw));
	esim_der_writer_end (w);
	esim_der_writer_end (w);
	out = esim_der_writer_finish (w);
	assert_bytes_hex (out, "BF2B05A003800113");
	g_clear_pointer (&out, g_bytes_unref);

	/* empty constructed element and an empty request */
	esim_der_writer_begin (w, 0xBF2E);
	esim_der_writer_end (w);
	out = esim_der_writer_finish (w);
	assert_bytes_hex (out, "BF2E00");
	g_clear_pointer (&out, g_bytes_unref);

	/* long-form lengths at three levels, patched in on end() */
	for (guint i = 0; i < 300; i++)
		payload[i] = (guint8) i;
	value = g_bytes_new (payload, 300);
	esim_der_writer_begin (w, 0xBF36);
	esim_der_writer_begin (w, 0xA0);
	esim_der_writer_put_bytes (w, 0x86, value);
	esim_der_writer_put_utf8 (w, 0x0C, "x");
	esim_der_writer_end (w);
	esim_der_writer_put_bytes (w, 0x04, NULL);
	esim_der_writer_end (w);
	big = esim_der_writer_finish (w);
	/* 86 82012C {300} = 304; 0C 01 78 = 3; A0 82 0133 {307} = 311; 04 00 = 2; BF36 82 0139 {313} */
	g_assert_cmpuint (g_bytes_get_size (big), ==, 5 + 313);
	g_assert_true (esim_tlv_parse_tagged (g_bytes_get_data (big, NULL), g_bytes_get_size (big),
					      0xBF36, &top, &error));
	g_assert_no_error (error);
	g_assert_cmpuint (top.len, ==, 313);
	g_assert_cmphex (top.raw[2], ==, 0x82);
	g_assert_true (esim_tlv_find (&top, 0xA0, &a0, &error));
	g_assert_cmpuint (a0.len, ==, 307);
	g_assert_true (esim_tlv_find (&a0, 0x86, &child, &error));
	g_assert_cmpuint (child.len, ==, 300);
	g_assert_true (memcmp (child.value, payload, 300) == 0);
	g_assert_true (esim_tlv_find (&top, 0x04, &child, &error));
	g_assert_cmpuint (child.len, ==, 0);
	g_assert_no_error (error);
}

static void
test_der_writer_unbalanced (void)
{
	if (g_test_subprocess ()) {
		g_autoptr(EsimDerWriter) w = esim_der_writer_new ();
		g_autoptr(GBytes) out = NULL;

		esim_der_writer_begin (w, 0x30);
		out = esim_der_writer_finish (w);
		g_assert_null (out);
		return;
	}
	g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_failed ();
	g_test_trap_assert_stderr ("*still open*");
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/esim/der/long-length", test_der_short_and_long_lengths);
	g_test_add_func ("/esim/der/non-minimal-length", test_der_non_minimal_length);
	g_test_add_func ("/esim/der/bad-length", test_der_bad_lengths);
	g_test_add_func ("/esim/der/overflow-in-iteration", test_der_overflow_in_iteration);
	g_test_add_func ("/esim/der/multibyte-tag", test_der_multibyte_tags);
	g_test_add_func ("/esim/der/bad-tag", test_der_bad_tags);
	g_test_add_func ("/esim/der/truncated-prefixes", test_der_truncated_prefixes);
	g_test_add_func ("/esim/der/trailing-and-tagged", test_der_trailing_and_tagged);
	g_test_add_func ("/esim/der/v7-nested", test_der_v7_nested);
	g_test_add_func ("/esim/der/find-malformed", test_der_find_malformed);
	g_test_add_func ("/esim/der/integer-writer", test_der_integers);
	g_test_add_func ("/esim/der/integer-reader", test_der_integer_readers);
	g_test_add_func ("/esim/der/bool", test_der_bool);
	g_test_add_func ("/esim/der/named-bits", test_der_named_bits);
	g_test_add_func ("/esim/der/get-bits", test_der_get_bits);
	g_test_add_func ("/esim/der/utf8", test_der_utf8);
	g_test_add_func ("/esim/der/encode-tag-length", test_der_encode_tag_length);
	g_test_add_func ("/esim/der/writer-nesting", test_der_writer_nesting);
	g_test_add_func ("/esim/der/writer-unbalanced", test_der_writer_unbalanced);
	return g_test_run ();
}
