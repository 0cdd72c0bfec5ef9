/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DER/BER-TLV reader and writer.
 *
 * The reader never copies: an EsimTlv points into the caller's buffer, and the
 * raw bytes of any element (tag + length + value) stay available so signed
 * structures can be forwarded exactly as they came.  Indefinite lengths are
 * rejected; lengths are bounded by the enclosing buffer.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ESIM_DER_ERROR (esim_der_error_quark ())
GQuark esim_der_error_quark (void);

typedef enum {
	ESIM_DER_ERROR_TRUNCATED,      /* element runs past the end of its buffer */
	ESIM_DER_ERROR_BAD_TAG,        /* tag too long (> 4 bytes) or malformed */
	ESIM_DER_ERROR_BAD_LENGTH,     /* indefinite, a length field over 4 bytes, or too large */
	ESIM_DER_ERROR_UNEXPECTED_TAG, /* a different tag than required */
	ESIM_DER_ERROR_MISSING,        /* a required element is absent */
	ESIM_DER_ERROR_BAD_VALUE,      /* value malformed for its type (INTEGER, BOOLEAN, BIT STRING…) */
	ESIM_DER_ERROR_TRAILING_DATA,  /* bytes left after the top-level element */
} EsimDerError;

/* Tags are stored as their on-the-wire bytes, big-endian in a guint32:
 * 0x5A, 0xBF3E, 0x9F70, 0xE3, 0xBF2D… (at most 4 bytes). */
typedef guint32 EsimTag;

typedef struct {
	EsimTag       tag;
	gboolean      constructed;
	const guint8 *raw;       /* start of the tag */
	gsize         raw_len;   /* tag + length + value */
	const guint8 *value;     /* start of the value */
	gsize         len;       /* value length */
} EsimTlv;

/* Iterates over consecutive TLVs in a buffer (e.g. a constructed element's value). */
typedef struct {
	const guint8 *pos;
	const guint8 *end;
} EsimTlvIter;

/* Parses exactly one TLV at the start of @data; sets *consumed to its raw length. */
gboolean esim_tlv_parse (const guint8 *data, gsize len, EsimTlv *out, gsize *consumed, GError **error);
/* Parses one TLV that must fill @data exactly. */
gboolean esim_tlv_parse_exact (const guint8 *data, gsize len, EsimTlv *out, GError **error);
/* As esim_tlv_parse_exact(), and the tag must be @tag. */
gboolean esim_tlv_parse_tagged (const guint8 *data, gsize len, EsimTag tag, EsimTlv *out, GError **error);

void     esim_tlv_iter_init (EsimTlvIter *iter, const EsimTlv *parent);
void     esim_tlv_iter_init_buf (EsimTlvIter *iter, const guint8 *data, gsize len);
/* Returns TRUE and fills @out for the next child; FALSE at the end (error unset) or on bad input (error set). */
gboolean esim_tlv_iter_next (EsimTlvIter *iter, EsimTlv *out, GError **error);

/* First direct child of @parent with @tag.  FALSE with error unset if absent; FALSE with error set if malformed. */
gboolean esim_tlv_find (const EsimTlv *parent, EsimTag tag, EsimTlv *out, GError **error);

/* Typed value readers (the TLV's value must be of that type). */
gboolean esim_tlv_get_uint (const EsimTlv *tlv, guint64 *out, GError **error);   /* non-negative INTEGER/ENUMERATED */
gboolean esim_tlv_get_int (const EsimTlv *tlv, gint64 *out, GError **error);     /* two's complement INTEGER */
gboolean esim_tlv_get_bool (const EsimTlv *tlv, gboolean *out, GError **error);
/* BIT STRING: named bit n is (bits[n / 8] >> (7 - n % 8)) & 1; *n_bits excludes unused bits. */
gboolean esim_tlv_get_bits (const EsimTlv *tlv, const guint8 **bits, gsize *n_bits, GError **error);
gboolean esim_tlv_bit_is_set (const EsimTlv *tlv, guint bit);   /* FALSE if absent or malformed */
/* BIT STRING with named bits as a mask, the reader's side of esim_der_writer_put_named_bits():
 * named bit n -> (1 << n) for n < @max_bits (at most 32); later bits are ignored. */
gboolean esim_tlv_get_named_bits (const EsimTlv *tlv, guint max_bits, guint32 *mask, GError **error);
gchar   *esim_tlv_dup_utf8 (const EsimTlv *tlv, GError **error); /* validates UTF-8, rejects NUL */
GBytes  *esim_tlv_dup_value (const EsimTlv *tlv);
GBytes  *esim_tlv_dup_raw (const EsimTlv *tlv);

/* Writer: builds DER into a growing buffer.  Constructed elements are opened
 * with esim_der_writer_begin() and closed with esim_der_writer_end(); lengths are
 * patched in minimal form on close. */
typedef struct _EsimDerWriter EsimDerWriter;

EsimDerWriter *esim_der_writer_new (void);
void           esim_der_writer_free (EsimDerWriter *self);
void           esim_der_writer_begin (EsimDerWriter *self, EsimTag tag);
void           esim_der_writer_end (EsimDerWriter *self);
void           esim_der_writer_put (EsimDerWriter *self, EsimTag tag, const guint8 *value, gsize len);
void           esim_der_writer_put_bytes (EsimDerWriter *self, EsimTag tag, GBytes *value);
void           esim_der_writer_put_raw (EsimDerWriter *self, const guint8 *raw, gsize len); /* pre-encoded TLVs */
void           esim_der_writer_put_uint (EsimDerWriter *self, EsimTag tag, guint64 value);  /* minimal INTEGER */
void           esim_der_writer_put_int (EsimDerWriter *self, EsimTag tag, gint64 value);
void           esim_der_writer_put_bool (EsimDerWriter *self, EsimTag tag, gboolean value);  /* FF / 00 */
void           esim_der_writer_put_null (EsimDerWriter *self, EsimTag tag);
void           esim_der_writer_put_utf8 (EsimDerWriter *self, EsimTag tag, const gchar *str);
/* BIT STRING from named bits (bit 0 = MSB of first byte); trailing zero bits dropped (DER). */
void           esim_der_writer_put_named_bits (EsimDerWriter *self, EsimTag tag, guint32 bits_mask);
/* Returns the encoding; g_critical if begin/end are unbalanced. */
GBytes        *esim_der_writer_finish (EsimDerWriter *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimDerWriter, esim_der_writer_free)

/* Encodes a tag (1–4 bytes) and a length (definite, minimal) into @buf; returns bytes written. */
gsize esim_der_encode_tag (EsimTag tag, guint8 buf[4]);
gsize esim_der_encode_length (gsize len, guint8 buf[5]);

G_END_DECLS
