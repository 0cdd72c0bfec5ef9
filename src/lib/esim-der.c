/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DER/BER-TLV reader and writer.
 *
 * Reader policy (what the card may send us):
 *   - tags of 1 to 4 bytes; the high-tag-number form must be minimal (no
 *     leading 0x80 subsequent byte, no tag number below 31 in long form);
 *   - definite lengths only: short form and 81..84; 80 (indefinite), FF and
 *     85.. are rejected;
 *   - non-minimal long-form lengths (e.g. 81 05, 82 00 80) are ACCEPTED: they
 *     are valid BER, some cards emit them, and since the raw bytes of every
 *     element are kept, signed data is still forwarded unchanged;
 *   - a length can never reach past the enclosing buffer (checked without
 *     adding offsets, so there is no overflow on any gsize width).
 */

#define G_LOG_DOMAIN "esim"

#include <string.h>

#include "esim-der.h"

G_DEFINE_QUARK (esim-der-error-quark, esim_der_error)

#define ESIM_DER_MAX_TAG_BYTES 4

/* Reads the tag at @data; returns the number of tag bytes or 0 with @error set. */
static gsize
esim_der_read_tag (const guint8 *data, gsize len, EsimTag *tag, GError **error)
{
	EsimTag value;
	gsize n = 1;

	if (len < 1) {
		g_set_error_literal (error, ESIM_DER_ERROR, ESIM_DER_ERROR_TRUNCATED,
				     "TLV truncated: no tag");
		return 0;
	}
	value = data[0];
	if ((data[0] & 0x1F) != 0x1F) {
		*tag = value;
		return 1;
	}

	/* high-tag-number form: subsequent bytes carry 7 bits each, bit 8 = more */
	for (;;) {
		if (n >= ESIM_DER_MAX_TAG_BYTES) {
			g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_TAG,
				     "tag longer than %u bytes", (guint) ESIM_DER_MAX_TAG_BYTES);
			return 0;
		}
		if (n >= len) {
			g_set_error_literal (error, ESIM_DER_ERROR, ESIM_DER_ERROR_TRUNCATED,
					     "TLV truncated inside a multi-byte tag");
			return 0;
		}
		if (n == 1 && data[1] == 0x80) {
			g_set_error_literal (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_TAG,
					     "tag number has a leading zero byte");
			return 0;
		}
		value = (value << 8) | data[n];
		if ((data[n++] & 0x80) == 0)
			break;
	}
	if (n == 2 && data[1] < 0x1F) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_TAG,
			     "tag number %u must use the one-byte form", (guint) data[1]);
		return 0;
	}
	*tag = value;
	return n;
}

/* Reads the length at @data; returns the number of length bytes or 0 with @error set. */
static gsize
esim_der_read_length (const guint8 *data, gsize len, gsize *out, GError **error)
{
	guint n_bytes;
	guint64 value = 0;

	if (len < 1) {
		g_set_error_literal (error, ESIM_DER_ERROR, ESIM_DER_ERROR_TRUNCATED,
				     "TLV truncated: no length");
		return 0;
	}
	if (data[0] < 0x80) {
		*out = data[0];
		return 1;
	}
	if (data[0] == 0x80) {
		g_set_error_literal (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_LENGTH,
				     "indefinite length is not allowed in DER");
		return 0;
	}
	n_bytes = data[0] & 0x7F;
	if (n_bytes > 4) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_LENGTH,
			     "length field of %u bytes is not supported", n_bytes);
		return 0;
	}
	if (len < 1 + (gsize) n_bytes) {
		g_set_error_literal (error, ESIM_DER_ERROR, ESIM_DER_ERROR_TRUNCATED,
				     "TLV truncated inside the length field");
		return 0;
	}
	for (guint i = 0; i < n_bytes; i++)
		value = (value << 8) | data[1 + i];
	if (value > G_MAXSIZE) {
		g_set_error_literal (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_LENGTH,
				     "length does not fit in memory");
		return 0;
	}
	*out = (gsize) value;
	return 1 + n_bytes;
}

gboolean
esim_tlv_parse (const guint8 *data, gsize len, EsimTlv *out, gsize *consumed, GError **error)
{
	EsimTag tag = 0;
	gsize tag_len;
	gsize len_len;
	gsize value_len = 0;
	gsize header;

	g_return_val_if_fail (data != NULL || len == 0, FALSE);
	g_return_val_if_fail (out != NULL, FALSE);

	tag_len = esim_der_read_tag (data, len, &tag, error);
	if (tag_len == 0)
		return FALSE;
	len_len = esim_der_read_length (data + tag_len, len - tag_len, &value_len, error);
	if (len_len == 0)
		return FALSE;
	header = tag_len + len_len;
	/* compare against what is left instead of adding, so nothing can overflow */
	if (value_len > len - header) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_TRUNCATED,
			     "TLV %X announces %" G_GSIZE_FORMAT " bytes, only %" G_GSIZE_FORMAT
			     " present",
			     tag, value_len, len - header);
		return FALSE;
	}

	out->tag = tag;
	out->constructed = (data[0] & 0x20) != 0;
	out->raw = data;
	out->raw_len = header + value_len;
	out->value = data + header;
	out->len = value_len;
	if (consumed != NULL)
		*consumed = out->raw_len;
	return TRUE;
}

gboolean
esim_tlv_parse_exact (const guint8 *data, gsize len, EsimTlv *out, GError **error)
{
	gsize consumed = 0;

	if (!esim_tlv_parse (data, len, out, &consumed, error))
		return FALSE;
	if (consumed != len) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_TRAILING_DATA,
			     "%" G_GSIZE_FORMAT " unexpected bytes after TLV %X",
			     len - consumed, out->tag);
		return FALSE;
	}
	return TRUE;
}

gboolean
esim_tlv_parse_tagged (const guint8 *data, gsize len, EsimTag tag, EsimTlv *out, GError **error)
{
	if (!esim_tlv_parse_exact (data, len, out, error))
		return FALSE;
	if (out->tag != tag) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_UNEXPECTED_TAG,
			     "expected tag %X, got %X", tag, out->tag);
		return FALSE;
	}
	return TRUE;
}

void
esim_tlv_iter_init (EsimTlvIter *iter, const EsimTlv *parent)
{
	g_return_if_fail (iter != NULL);
	g_return_if_fail (parent != NULL);
	esim_tlv_iter_init_buf (iter, parent->value, parent->len);
}

void
esim_tlv_iter_init_buf (EsimTlvIter *iter, const guint8 *data, gsize len)
{
	g_return_if_fail (iter != NULL);
	g_return_if_fail (data != NULL || len == 0);
	iter->pos = data;
	iter->end = data != NULL ? data + len : NULL;
}

gboolean
esim_tlv_iter_next (EsimTlvIter *iter, EsimTlv *out, GError **error)
{
	gsize consumed = 0;

	g_return_val_if_fail (iter != NULL, FALSE);
	g_return_val_if_fail (out != NULL, FALSE);

	if (iter->pos == NULL || iter->pos >= iter->end)
		return FALSE;
	if (!esim_tlv_parse (iter->pos, (gsize) (iter->end - iter->pos), out, &consumed, error)) {
		/* stop here: the rest of the buffer cannot be framed */
		iter->pos = iter->end;
		return FALSE;
	}
	iter->pos += consumed;
	return TRUE;
}

gboolean
esim_tlv_find (const EsimTlv *parent, EsimTag tag, EsimTlv *out, GError **error)
{
	EsimTlvIter iter;
	EsimTlv child;
	GError *error_local = NULL;

	g_return_val_if_fail (parent != NULL, FALSE);
	g_return_val_if_fail (out != NULL, FALSE);

	esim_tlv_iter_init (&iter, parent);
	while (esim_tlv_iter_next (&iter, &child, &error_local)) {
		if (child.tag == tag) {
			*out = child;
			return TRUE;
		}
	}
	if (error_local != NULL)
		g_propagate_error (error, error_local);
	return FALSE;
}

/* Typed readers want a primitive element: DER has no constructed INTEGER or BIT STRING. */
static gboolean
esim_tlv_check_primitive (const EsimTlv *tlv, const gchar *what, GError **error)
{
	if (tlv->constructed) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE,
			     "%s %X must be primitive", what, tlv->tag);
		return FALSE;
	}
	if (tlv->len == 0) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE,
			     "%s %X is empty", what, tlv->tag);
		return FALSE;
	}
	return TRUE;
}

gboolean
esim_tlv_get_uint (const EsimTlv *tlv, guint64 *out, GError **error)
{
	const guint8 *p;
	gsize n;
	guint64 value = 0;

	g_return_val_if_fail (tlv != NULL, FALSE);
	g_return_val_if_fail (out != NULL, FALSE);

	if (!esim_tlv_check_primitive (tlv, "INTEGER", error))
		return FALSE;
	p = tlv->value;
	n = tlv->len;
	if (p[0] & 0x80) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE,
			     "INTEGER %X is negative", tlv->tag);
		return FALSE;
	}
	/* leading zero bytes carry no value (redundant ones are tolerated) */
	while (n > 1 && p[0] == 0x00) {
		p++;
		n--;
	}
	if (n > 8) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE,
			     "INTEGER %X does not fit in 64 bits", tlv->tag);
		return FALSE;
	}
	for (gsize i = 0; i < n; i++)
		value = (value << 8) | p[i];
	*out = value;
	return TRUE;
}

gboolean
esim_tlv_get_int (const EsimTlv *tlv, gint64 *out, GError **error)
{
	const guint8 *p;
	gsize n;
	guint64 value;

	g_return_val_if_fail (tlv != NULL, FALSE);
	g_return_val_if_fail (out != NULL, FALSE);

	if (!esim_tlv_check_primitive (tlv, "INTEGER", error))
		return FALSE;
	p = tlv->value;
	n = tlv->len;
	/* drop redundant sign bytes (00 before a positive byte, FF before a negative one) */
	while (n > 1 && ((p[0] == 0x00 && (p[1] & 0x80) == 0) ||
			 (p[0] == 0xFF && (p[1] & 0x80) != 0))) {
		p++;
		n--;
	}
	if (n > 8) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE,
			     "INTEGER %X does not fit in 64 bits", tlv->tag);
		return FALSE;
	}
	value = (p[0] & 0x80) ? G_MAXUINT64 : 0;
	for (gsize i = 0; i < n; i++)
		value = (value << 8) | p[i];
	*out = (gint64) value;
	return TRUE;
}

gboolean
esim_tlv_get_bool (const EsimTlv *tlv, gboolean *out, GError **error)
{
	g_return_val_if_fail (tlv != NULL, FALSE);
	g_return_val_if_fail (out != NULL, FALSE);

	if (!esim_tlv_check_primitive (tlv, "BOOLEAN", error))
		return FALSE;
	if (tlv->len != 1) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE,
			     "BOOLEAN %X has %" G_GSIZE_FORMAT " bytes", tlv->tag, tlv->len);
		return FALSE;
	}
	/* DER says FF for TRUE; any non-zero byte is TRUE in BER, accept it */
	*out = tlv->value[0] != 0x00;
	return TRUE;
}

gboolean
esim_tlv_get_bits (const EsimTlv *tlv, const guint8 **bits, gsize *n_bits, GError **error)
{
	guint unused;

	g_return_val_if_fail (tlv != NULL, FALSE);
	g_return_val_if_fail (bits != NULL, FALSE);
	g_return_val_if_fail (n_bits != NULL, FALSE);

	if (!esim_tlv_check_primitive (tlv, "BIT STRING", error))
		return FALSE;
	unused = tlv->value[0];
	if (unused > 7 || (tlv->len == 1 && unused != 0)) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE,
			     "BIT STRING %X has a bad unused-bits count %u", tlv->tag, unused);
		return FALSE;
	}
	*bits = tlv->value + 1;
	*n_bits = (tlv->len - 1) * 8 - unused;
	return TRUE;
}

gboolean
esim_tlv_bit_is_set (const EsimTlv *tlv, guint bit)
{
	const guint8 *bits = NULL;
	gsize n_bits = 0;

	if (tlv == NULL)
		return FALSE;
	if (!esim_tlv_get_bits (tlv, &bits, &n_bits, NULL))
		return FALSE;
	if (bit >= n_bits)
		return FALSE;
	return (bits[bit / 8] >> (7 - bit % 8)) & 1;
}

gboolean
esim_tlv_get_named_bits (const EsimTlv *tlv, guint max_bits, guint32 *mask, GError **error)
{
	const guint8 *bits = NULL;
	gsize n_bits = 0;

	g_return_val_if_fail (tlv != NULL, FALSE);
	g_return_val_if_fail (mask != NULL, FALSE);
	g_return_val_if_fail (max_bits <= 32, FALSE);

	if (!esim_tlv_get_bits (tlv, &bits, &n_bits, error))
		return FALSE;
	*mask = 0;
	for (gsize bit = 0; bit < n_bits && bit < max_bits; bit++) {
		if ((bits[bit / 8] >> (7 - bit % 8)) & 1)
			*mask |= 1u << bit;
	}
	return TRUE;
}

gchar *
esim_tlv_dup_utf8 (const EsimTlv *tlv, GError **error)
{
	g_return_val_if_fail (tlv != NULL, NULL);

	if (tlv->constructed) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE,
			     "string %X must be primitive", tlv->tag);
		return NULL;
	}
	if (tlv->len > 0 && memchr (tlv->value, '\0', tlv->len) != NULL) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE,
			     "string %X contains a NUL byte", tlv->tag);
		return NULL;
	}
	if (!g_utf8_validate_len ((const gchar *) tlv->value, tlv->len, NULL)) {
		g_set_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE,
			     "string %X is not valid UTF-8", tlv->tag);
		return NULL;
	}
	return g_strndup ((const gchar *) tlv->value, tlv->len);
}

GBytes *
esim_tlv_dup_value (const EsimTlv *tlv)
{
	g_return_val_if_fail (tlv != NULL, NULL);
	return g_bytes_new (tlv->value, tlv->len);
}

GBytes *
esim_tlv_dup_raw (const EsimTlv *tlv)
{
	g_return_val_if_fail (tlv != NULL, NULL);
	return g_bytes_new (tlv->raw, tlv->raw_len);
}

/* ------------------------------------------------------------------------ */
/* Writer */

struct _EsimDerWriter {
	GByteArray *buf;
	GArray *open; /* gsize: offset where the value of each open element starts */
};

gsize
esim_der_encode_tag (EsimTag tag, guint8 buf[4])
{
	gsize n = 0;

	for (gint shift = 24; shift > 0; shift -= 8) {
		if (n > 0 || ((tag >> shift) & 0xFF) != 0)
			buf[n++] = (tag >> shift) & 0xFF;
	}
	buf[n++] = tag & 0xFF;
	return n;
}

gsize
esim_der_encode_length (gsize len, guint8 buf[5])
{
	guint n_bytes = 0;

	g_return_val_if_fail ((guint64) len <= G_MAXUINT32, 0);

	if (len < 0x80) {
		buf[0] = len;
		return 1;
	}
	for (gsize tmp = len; tmp > 0; tmp >>= 8)
		n_bytes++;
	buf[0] = 0x80 | n_bytes;
	for (guint i = 0; i < n_bytes; i++)
		buf[1 + i] = (len >> (8 * (n_bytes - 1 - i))) & 0xFF;
	return 1 + n_bytes;
}

EsimDerWriter *
esim_der_writer_new (void)
{
	EsimDerWriter *self = g_new0 (EsimDerWriter, 1);
	self->buf = g_byte_array_new ();
	self->open = g_array_new (FALSE, FALSE, sizeof (gsize));
	return self;
}

void
esim_der_writer_free (EsimDerWriter *self)
{
	if (self == NULL)
		return;
	g_byte_array_unref (self->buf);
	g_array_unref (self->open);
	g_free (self);
}

static void
esim_der_writer_put_header (EsimDerWriter *self, EsimTag tag, gsize len)
{
	guint8 tmp[5];
	gsize n;

	n = esim_der_encode_tag (tag, tmp);
	g_byte_array_append (self->buf, tmp, n);
	n = esim_der_encode_length (len, tmp);
	g_byte_array_append (self->buf, tmp, n);
}

void
esim_der_writer_begin (EsimDerWriter *self, EsimTag tag)
{
	guint8 tmp[4];
	gsize n;
	gsize start;

	g_return_if_fail (self != NULL);

	n = esim_der_encode_tag (tag, tmp);
	g_byte_array_append (self->buf, tmp, n);
	/* the length is inserted here on end(), once the value size is known */
	start = self->buf->len;
	g_array_append_val (self->open, start);
}

void
esim_der_writer_end (EsimDerWriter *self)
{
	guint8 tmp[5];
	gsize start;
	gsize value_len;
	gsize n;

	g_return_if_fail (self != NULL);
	g_return_if_fail (self->open->len > 0);

	start = g_array_index (self->open, gsize, self->open->len - 1);
	g_array_set_size (self->open, self->open->len - 1);
	value_len = self->buf->len - start;
	n = esim_der_encode_length (value_len, tmp);
	g_byte_array_set_size (self->buf, self->buf->len + n);
	memmove (self->buf->data + start + n, self->buf->data + start, value_len);
	memmove (self->buf->data + start, tmp, n);
}

void
esim_der_writer_put (EsimDerWriter *self, EsimTag tag, const guint8 *value, gsize len)
{
	g_return_if_fail (self != NULL);
	g_return_if_fail (value != NULL || len == 0);

	esim_der_writer_put_header (self, tag, len);
	if (len > 0)
		g_byte_array_append (self->buf, value, len);
}

void
esim_der_writer_put_bytes (EsimDerWriter *self, EsimTag tag, GBytes *value)
{
	const guint8 *data = NULL;
	gsize len = 0;

	g_return_if_fail (self != NULL);

	if (value != NULL)
		data = g_bytes_get_data (value, &len);
	esim_der_writer_put (self, tag, data, len);
}

void
esim_der_writer_put_raw (EsimDerWriter *self, const guint8 *raw, gsize len)
{
	g_return_if_fail (self != NULL);
	g_return_if_fail (raw != NULL || len == 0);

	if (len > 0)
		g_byte_array_append (self->buf, raw, len);
}

void
esim_der_writer_put_uint (EsimDerWriter *self, EsimTag tag, guint64 value)
{
	guint8 tmp[9];
	gsize start = 1;

	for (guint i = 0; i < 8; i++)
		tmp[1 + i] = (value >> (8 * (7 - i))) & 0xFF;
	tmp[0] = 0x00;
	/* minimal: drop leading zero bytes but keep one 00 before a byte with the top bit set */
	while (start < 8 && tmp[start] == 0x00)
		start++;
	if (tmp[start] & 0x80)
		start--;
	esim_der_writer_put (self, tag, tmp + start, sizeof (tmp) - start);
}

void
esim_der_writer_put_int (EsimDerWriter *self, EsimTag tag, gint64 value)
{
	guint8 tmp[8];
	guint64 u = (guint64) value;
	gsize start = 0;

	for (guint i = 0; i < 8; i++)
		tmp[i] = (u >> (8 * (7 - i))) & 0xFF;
	/* minimal two's complement: a leading 00/FF is redundant when the next byte has the same sign */
	while (start < 7 && ((tmp[start] == 0x00 && (tmp[start + 1] & 0x80) == 0) ||
			     (tmp[start] == 0xFF && (tmp[start + 1] & 0x80) != 0)))
		start++;
	esim_der_writer_put (self, tag, tmp + start, sizeof (tmp) - start);
}

void
esim_der_writer_put_bool (EsimDerWriter *self, EsimTag tag, gboolean value)
{
	guint8 byte = value ? 0xFF : 0x00;
	esim_der_writer_put (self, tag, &byte, 1);
}

void
esim_der_writer_put_null (EsimDerWriter *self, EsimTag tag)
{
	esim_der_writer_put (self, tag, NULL, 0);
}

void
esim_der_writer_put_utf8 (EsimDerWriter *self, EsimTag tag, const gchar *str)
{
	g_return_if_fail (str != NULL);
	esim_der_writer_put (self, tag, (const guint8 *) str, strlen (str));
}

void
esim_der_writer_put_named_bits (EsimDerWriter *self, EsimTag tag, guint32 bits_mask)
{
	guint8 tmp[5] = { 0 };
	guint n_bits = 0;
	guint n_bytes;

	/* the highest named bit that is set decides the length; trailing zeros are dropped */
	for (guint bit = 0; bit < 32; bit++) {
		if (bits_mask & (1u << bit))
			n_bits = bit + 1;
	}
	n_bytes = (n_bits + 7) / 8;
	tmp[0] = n_bytes * 8 - n_bits;
	for (guint bit = 0; bit < n_bits; bit++) {
		if (bits_mask & (1u << bit))
			tmp[1 + bit / 8] |= 0x80 >> (bit % 8);
	}
	esim_der_writer_put (self, tag, tmp, 1 + n_bytes);
}

GBytes *
esim_der_writer_finish (EsimDerWriter *self)
{
	GByteArray *buf;

	g_return_val_if_fail (self != NULL, NULL);

	if (self->open->len > 0) {
		g_critical ("DER writer finished with %u element(s) still open", self->open->len);
		return NULL;
	}
	/* hand over the buffer and leave the writer empty and reusable */
	buf = self->buf;
	self->buf = g_byte_array_new ();
	return g_byte_array_free_to_bytes (buf);
}
