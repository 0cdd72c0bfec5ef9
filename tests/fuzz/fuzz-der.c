/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the DER reader: frames the input as a sequence of TLVs,
 * descends into constructed elements to a bounded depth, and runs every typed
 * getter on every element.  The input is copied into an exact-size buffer so
 * ASan catches any read past its end.
 */

#include <string.h>

#include "esim-der.h"
#include "esim-util.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

#define FUZZ_MAX_DEPTH 32

static void
fuzz_getters (const EsimTlv *tlv)
{
	guint64 u = 0;
	gint64 s = 0;
	gboolean b = FALSE;
	const guint8 *bits = NULL;
	gsize n_bits = 0;
	g_autofree gchar *str = NULL;
	g_autofree gchar *iccid = NULL;
	g_autofree gchar *eid = NULL;
	g_autoptr(GBytes) value = NULL;
	g_autoptr(GBytes) raw = NULL;
	EsimTlv child;
	EsimTlv again;

	(void) esim_tlv_get_uint (tlv, &u, NULL);
	(void) esim_tlv_get_int (tlv, &s, NULL);
	(void) esim_tlv_get_bool (tlv, &b, NULL);
	if (esim_tlv_get_bits (tlv, &bits, &n_bits, NULL) && n_bits > 0) {
		/* touch the last named bit: must lie inside the value */
		volatile guint8 last = bits[(n_bits - 1) / 8];
		(void) last;
	}
	for (guint bit = 0; bit < 40; bit++)
		(void) esim_tlv_bit_is_set (tlv, bit);
	str = esim_tlv_dup_utf8 (tlv, NULL);
	iccid = esim_iccid_from_bcd (tlv->value, tlv->len, NULL);
	eid = esim_eid_from_bytes (tlv->value, tlv->len, NULL);
	value = esim_tlv_dup_value (tlv);
	raw = esim_tlv_dup_raw (tlv);
	g_assert (g_bytes_get_size (raw) == tlv->raw_len);

	/* the raw bytes of an element must re-parse to the same element */
	g_assert (esim_tlv_parse_exact (tlv->raw, tlv->raw_len, &again, NULL));
	g_assert (again.tag == tlv->tag && again.len == tlv->len);
	if (tlv->constructed) {
		(void) esim_tlv_find (tlv, 0x5A, &child, NULL);
		(void) esim_tlv_find (tlv, 0xBF3E, &child, NULL);
	}
}

static void
fuzz_walk (const guint8 *data, gsize len, guint depth)
{
	EsimTlvIter iter;
	EsimTlv tlv;
	g_autoptr(GError) error = NULL;

	esim_tlv_iter_init_buf (&iter, data, len);
	while (esim_tlv_iter_next (&iter, &tlv, &error)) {
		g_assert (tlv.raw >= data && tlv.raw_len <= len &&
			  (gsize) (tlv.raw - data) <= len - tlv.raw_len);
		g_assert (tlv.value + tlv.len == tlv.raw + tlv.raw_len);
		fuzz_getters (&tlv);
		if (tlv.constructed && depth < FUZZ_MAX_DEPTH)
			fuzz_walk (tlv.value, tlv.len, depth + 1);
	}
}

/* Re-encodes the top-level elements with the writer: the output must parse. */
static void
fuzz_rewrite (const guint8 *data, gsize len)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autoptr(GBytes) out = NULL;
	EsimTlvIter iter;
	EsimTlv tlv;
	guint n = 0;

	esim_tlv_iter_init_buf (&iter, data, len);
	while (esim_tlv_iter_next (&iter, &tlv, NULL) && n++ < 64) {
		guint64 u = 0;

		esim_der_writer_begin (writer, tlv.tag);
		esim_der_writer_put (writer, 0x04, tlv.value, tlv.len);
		if (esim_tlv_get_uint (&tlv, &u, NULL))
			esim_der_writer_put_uint (writer, 0x02, u);
		esim_der_writer_put_named_bits (writer, 0x03, (guint32) tlv.len);
		esim_der_writer_end (writer);
	}
	out = esim_der_writer_finish (writer);
	esim_tlv_iter_init_buf (&iter, g_bytes_get_data (out, NULL), g_bytes_get_size (out));
	while (esim_tlv_iter_next (&iter, &tlv, NULL))
		;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
	g_autofree guint8 *copy = g_memdup2 (data, size);
	EsimTlv tlv;

	(void) esim_tlv_parse_exact (copy, size, &tlv, NULL);
	fuzz_walk (copy, size, 0);
	fuzz_rewrite (copy, size);
	return 0;
}
