/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hex, ICCID/EID codecs and personal-data masking. */

#define G_LOG_DOMAIN "esim"

#include <string.h>

#include <gio/gio.h>

#include "esim-util.h"

#define ESIM_ICCID_BCD_LEN    10
#define ESIM_ICCID_MIN_DIGITS 18
#define ESIM_ICCID_MAX_DIGITS 20
#define ESIM_EID_LEN          16
#define ESIM_EID_DIGITS       32

static gint esim_log_show_personal_info = 0;

/* ------------------------------------------------------------------------ */
/* hex */

gchar *
esim_hex_encode (const guint8 *data, gsize len)
{
	static const gchar digits[] = "0123456789ABCDEF";
	gchar *out;

	g_return_val_if_fail (data != NULL || len == 0, NULL);

	out = g_new (gchar, len * 2 + 1);
	for (gsize i = 0; i < len; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 0x0F];
	}
	out[len * 2] = '\0';
	return out;
}

gchar *
esim_hex_encode_bytes (GBytes *bytes)
{
	const guint8 *data;
	gsize len = 0;

	g_return_val_if_fail (bytes != NULL, NULL);
	data = g_bytes_get_data (bytes, &len);
	return esim_hex_encode (data, len);
}

GBytes *
esim_hex_decode (const gchar *hex, GError **error)
{
	g_autoptr(GByteArray) buf = g_byte_array_new ();
	gint high = -1;

	g_return_val_if_fail (hex != NULL, NULL);

	for (const gchar *p = hex; *p != '\0'; p++) {
		gint nibble;
		guint8 byte;

		if (g_ascii_isspace (*p))
			continue;
		nibble = g_ascii_xdigit_value (*p);
		if (nibble < 0) {
			g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
				     "invalid hex character at position %u",
				     (guint) (p - hex));
			return NULL;
		}
		if (high < 0) {
			high = nibble;
			continue;
		}
		byte = (guint8) ((high << 4) | nibble);
		g_byte_array_append (buf, &byte, 1);
		high = -1;
	}
	if (high >= 0) {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
				     "odd number of hex digits");
		return NULL;
	}
	return g_byte_array_free_to_bytes (g_steal_pointer (&buf));
}

/* ------------------------------------------------------------------------ */
/* ICCID */

/* Returns the number of leading decimal digits of a well-formed ICCID
 * (18–20 digits, then only 'F' padding up to 20 characters), or 0. */
static gsize
esim_iccid_count_digits (const gchar *iccid)
{
	gsize n_digits = 0;
	gsize len;

	if (iccid == NULL)
		return 0;
	len = strlen (iccid);
	if (len > ESIM_ICCID_MAX_DIGITS)
		return 0;
	while (g_ascii_isdigit (iccid[n_digits]))
		n_digits++;
	for (gsize i = n_digits; i < len; i++) {
		if (iccid[i] != 'F' && iccid[i] != 'f')
			return 0;
	}
	if (n_digits < ESIM_ICCID_MIN_DIGITS)
		return 0;
	return n_digits;
}

gboolean
esim_iccid_is_valid (const gchar *iccid)
{
	return esim_iccid_count_digits (iccid) > 0;
}

gboolean
esim_iccid_to_bcd (const gchar *iccid, guint8 out[10], GError **error)
{
	gsize n_digits;

	g_return_val_if_fail (out != NULL, FALSE);

	n_digits = esim_iccid_count_digits (iccid);
	if (n_digits == 0) {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				     "ICCID must be 18 to 20 decimal digits");
		return FALSE;
	}
	/* always the full 10 bytes, F-padded: short ICCIDs must not shorten the field */
	for (gsize i = 0; i < ESIM_ICCID_BCD_LEN; i++) {
		guint8 lo = 2 * i < n_digits ? iccid[2 * i] - '0' : 0x0F;
		guint8 hi = 2 * i + 1 < n_digits ? iccid[2 * i + 1] - '0' : 0x0F;
		out[i] = (guint8) ((hi << 4) | lo);
	}
	return TRUE;
}

gchar *
esim_iccid_from_bcd (const guint8 *bcd, gsize len, GError **error)
{
	g_autoptr(GString) str = g_string_new (NULL);
	gboolean padding = FALSE;

	g_return_val_if_fail (bcd != NULL || len == 0, NULL);

	/* 9 bytes hold an 18-digit ICCID; tolerate it as some encoders drop the F byte */
	if (len != ESIM_ICCID_BCD_LEN && len != ESIM_ICCID_BCD_LEN - 1) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			     "ICCID field has %" G_GSIZE_FORMAT " bytes, expected 10", len);
		return NULL;
	}
	for (gsize i = 0; i < 2 * len; i++) {
		guint8 nibble = (i % 2 == 0) ? (bcd[i / 2] & 0x0F) : (bcd[i / 2] >> 4);

		if (nibble == 0x0F) {
			padding = TRUE;
			continue;
		}
		if (nibble > 9 || padding) {
			g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
					     "ICCID field is not F-padded BCD");
			return NULL;
		}
		g_string_append_c (str, '0' + nibble);
	}
	if (str->len < ESIM_ICCID_MIN_DIGITS) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			     "ICCID has %" G_GSIZE_FORMAT " digits, expected 18 to 20",
			     str->len);
		return NULL;
	}
	return g_string_free (g_steal_pointer (&str), FALSE);
}

/* ------------------------------------------------------------------------ */
/* EID */

static gboolean
esim_eid_is_digits (const gchar *eid)
{
	if (eid == NULL || strlen (eid) != ESIM_EID_DIGITS)
		return FALSE;
	for (gsize i = 0; i < ESIM_EID_DIGITS; i++) {
		if (!g_ascii_isdigit (eid[i]))
			return FALSE;
	}
	return TRUE;
}

/* Remainder of the decimal number @digits[0..n) divided by 97. */
static guint
esim_mod97 (const gchar *digits, gsize n)
{
	guint rem = 0;

	for (gsize i = 0; i < n; i++)
		rem = (rem * 10 + (guint) (digits[i] - '0')) % 97;
	return rem;
}

gboolean
esim_eid_is_valid (const gchar *eid)
{
	/* ISO 7064 mod 97-10: the whole number, check digits included, is 1 mod 97 */
	return esim_eid_is_digits (eid) && esim_mod97 (eid, ESIM_EID_DIGITS) == 1;
}

gchar *
esim_eid_from_bytes (const guint8 *b, gsize len, GError **error)
{
	g_autofree gchar *eid = NULL;

	g_return_val_if_fail (b != NULL || len == 0, NULL);

	if (len != ESIM_EID_LEN) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			     "EID has %" G_GSIZE_FORMAT " bytes, expected 16", len);
		return NULL;
	}
	eid = esim_hex_encode (b, len);
	if (!esim_eid_is_digits (eid)) {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
				     "EID is not decimal BCD");
		return NULL;
	}
	return g_steal_pointer (&eid);
}

gboolean
esim_eid_to_bytes (const gchar *eid, guint8 out[16], GError **error)
{
	g_return_val_if_fail (out != NULL, FALSE);

	if (!esim_eid_is_digits (eid)) {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				     "EID must be 32 decimal digits");
		return FALSE;
	}
	for (gsize i = 0; i < ESIM_EID_LEN; i++)
		out[i] = (guint8) (((eid[2 * i] - '0') << 4) | (eid[2 * i + 1] - '0'));
	return TRUE;
}

gchar *
esim_eid_generate (const gchar *prefix8)
{
	gchar eid[ESIM_EID_DIGITS + 1];
	guint check;

	g_return_val_if_fail (prefix8 != NULL, NULL);
	g_return_val_if_fail (strlen (prefix8) == 8, NULL);
	for (guint i = 0; i < 8; i++) {
		g_return_val_if_fail (g_ascii_isdigit (prefix8[i]), NULL);
		eid[i] = prefix8[i];
	}
	for (guint i = 8; i < ESIM_EID_DIGITS - 2; i++)
		eid[i] = (gchar) ('0' + g_random_int_range (0, 10));
	/* check digits = 98 - (body * 100 mod 97), as ISO 7064 mod 97-10 asks */
	check = 98 - (esim_mod97 (eid, ESIM_EID_DIGITS - 2) * 100) % 97;
	eid[ESIM_EID_DIGITS - 2] = (gchar) ('0' + check / 10);
	eid[ESIM_EID_DIGITS - 1] = (gchar) ('0' + check % 10);
	eid[ESIM_EID_DIGITS] = '\0';
	return g_strdup (eid);
}

/* ------------------------------------------------------------------------ */
/* personal-info masking */

void
esim_log_set_personal_info (gboolean show)
{
	g_atomic_int_set (&esim_log_show_personal_info, show ? 1 : 0);
}

gboolean
esim_log_get_personal_info (void)
{
	return g_atomic_int_get (&esim_log_show_personal_info) != 0;
}

gchar *
esim_log_personal (const gchar *value)
{
	glong n_chars;
	g_autofree gchar *head = NULL;
	g_autofree gchar *tail = NULL;

	if (value == NULL)
		return g_strdup ("(none)");
	if (esim_log_get_personal_info ())
		return g_strdup (value);
	if (!g_utf8_validate (value, -1, NULL))
		return g_strdup ("…");
	n_chars = g_utf8_strlen (value, -1);
	/* keeping 4 + 2 characters of a short value would reveal all of it */
	if (n_chars <= 6)
		return g_strdup ("…");
	head = g_utf8_substring (value, 0, 4);
	tail = g_utf8_substring (value, n_chars - 2, n_chars);
	return g_strdup_printf ("%s…%s", head, tail);
}
