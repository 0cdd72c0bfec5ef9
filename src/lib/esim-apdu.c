/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ISO 7816-4 short APDUs, status words, CLA coding and the STORE DATA builder. */

#define G_LOG_DOMAIN "esim"

#include "esim-apdu.h"
#include "esim-error.h"
#include "esim-tags.h"

const guint8 ESIM_ISDR_AID[16] = { ESIM_ISDR_AID_BYTES };

GBytes *
esim_apdu_encode (const EsimApdu *apdu)
{
	GByteArray *buf;
	guint8 header[4];

	g_return_val_if_fail (apdu != NULL, NULL);
	g_return_val_if_fail (apdu->data_len <= 255, NULL);
	g_return_val_if_fail (apdu->data != NULL || apdu->data_len == 0, NULL);
	g_return_val_if_fail (apdu->le >= -1 && apdu->le <= 256, NULL);

	header[0] = apdu->cla;
	header[1] = apdu->ins;
	header[2] = apdu->p1;
	header[3] = apdu->p2;
	buf = g_byte_array_sized_new (4 + 1 + apdu->data_len + 1);
	g_byte_array_append (buf, header, sizeof (header));
	if (apdu->data_len > 0) {
		guint8 lc = (guint8) apdu->data_len;
		g_byte_array_append (buf, &lc, 1);
		g_byte_array_append (buf, apdu->data, apdu->data_len);
	}
	if (apdu->le >= 0) {
		/* Le = 256 is coded as 00 in a short APDU */
		guint8 le = (guint8) (apdu->le & 0xFF);
		g_byte_array_append (buf, &le, 1);
	}
	return g_byte_array_free_to_bytes (buf);
}

gboolean
esim_apdu_response_parse (GBytes *response, GBytes **data, guint16 *sw, GError **error)
{
	const guint8 *raw;
	gsize len = 0;

	g_return_val_if_fail (response != NULL, FALSE);

	raw = g_bytes_get_data (response, &len);
	if (len < 2) {
		g_set_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE,
			     "response APDU of %" G_GSIZE_FORMAT " bytes has no status word", len);
		return FALSE;
	}
	if (sw != NULL)
		*sw = (guint16) ((raw[len - 2] << 8) | raw[len - 1]);
	if (data != NULL)
		*data = g_bytes_new_from_bytes (response, 0, len - 2);
	return TRUE;
}

typedef struct {
	guint16 sw;
	guint16 mask; /* bits of the SW that must match */
	EsimApduError code;
	const gchar *what;
} EsimSwMapping;

static const EsimSwMapping esim_sw_mappings[] = {
	{ ESIM_SW_LOGICAL_CHANNEL_NOT_SUPPORTED, 0xFFFF, ESIM_APDU_ERROR_NO_CHANNEL,
	  "logical channel not supported" },
	{ ESIM_SW_FUNCTION_NOT_SUPPORTED, 0xFFFF, ESIM_APDU_ERROR_NO_CHANNEL,
	  "function not supported" },
	{ ESIM_SW_FILE_NOT_FOUND, 0xFFFF, ESIM_APDU_ERROR_NOT_FOUND,
	  "application or file not found" },
	{ ESIM_SW_WRONG_LENGTH, 0xFFFF, ESIM_APDU_ERROR_WRONG_LENGTH, "wrong length" },
	{ ESIM_SW1_WRONG_LE << 8, 0xFF00, ESIM_APDU_ERROR_WRONG_LENGTH, "wrong Le" },
	{ ESIM_SW_WRONG_DATA, 0xFFFF, ESIM_APDU_ERROR_WRONG_DATA, "incorrect data" },
	{ ESIM_SW_WRONG_P1P2, 0xFFFF, ESIM_APDU_ERROR_WRONG_P1P2, "incorrect P1/P2" },
	{ ESIM_SW_WRONG_PARAMETERS, 0xFFFF, ESIM_APDU_ERROR_WRONG_P1P2, "wrong P1/P2" },
	{ ESIM_SW_INS_NOT_SUPPORTED, 0xFFFF, ESIM_APDU_ERROR_INS_NOT_SUPPORTED,
	  "instruction not supported" },
	{ ESIM_SW_CLA_NOT_SUPPORTED, 0xFFFF, ESIM_APDU_ERROR_CLA_NOT_SUPPORTED,
	  "class not supported" },
	{ ESIM_SW_CONDITIONS_NOT_SATISFIED, 0xFFFF, ESIM_APDU_ERROR_CONDITIONS,
	  "conditions of use not satisfied" },
	{ ESIM_SW_SECURITY_STATUS, 0xFFFF, ESIM_APDU_ERROR_SECURITY,
	  "security status not satisfied" },
	{ ESIM_SW_MEMORY_FAILURE, 0xFFFF, ESIM_APDU_ERROR_MEMORY, "memory failure" },
	{ ESIM_SW_NOT_ENOUGH_MEMORY, 0xFFFF, ESIM_APDU_ERROR_MEMORY, "not enough memory" },
	{ ESIM_SW_EXECUTION_ERROR, 0xFFFF, ESIM_APDU_ERROR_TECHNICAL, "execution error" },
	{ ESIM_SW_SECURITY_TECHNICAL, 0xFFFF, ESIM_APDU_ERROR_TECHNICAL,
	  "security-related technical problem" },
	{ ESIM_SW_TECHNICAL_PROBLEM, 0xFF00, ESIM_APDU_ERROR_TECHNICAL,
	  "technical problem, no precise diagnosis" },
};

gboolean
esim_apdu_check_sw (guint16 sw, GError **error)
{
	guint8 sw1 = sw >> 8;

	/* 61xx: more data; 9Fxx: (U)SIM response data waiting; 91xx: proactive command pending */
	if (sw == ESIM_SW_OK || sw1 == ESIM_SW1_MORE_DATA || sw1 == ESIM_SW1_MORE_DATA_SIM ||
	    sw1 == ESIM_SW1_PROACTIVE_PENDING)
		return TRUE;
	for (guint i = 0; i < G_N_ELEMENTS (esim_sw_mappings); i++) {
		const EsimSwMapping *m = &esim_sw_mappings[i];
		if ((sw & m->mask) == m->sw) {
			g_set_error (error, ESIM_APDU_ERROR, m->code, "card returned SW %04X (%s)",
				     sw, m->what);
			return FALSE;
		}
	}
	g_set_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_FAILED, "card returned SW %04X", sw);
	return FALSE;
}

guint8
esim_apdu_cla_for_channel (guint channel, gboolean gp_class)
{
	guint8 proprietary = gp_class ? ESIM_CLA_PROPRIETARY : 0;

	g_return_val_if_fail (channel <= ESIM_LOGICAL_CHANNEL_MAX, 0);

	/* channels 0-3: first interindustry coding; 4-19: further interindustry (ISO 7816-4 §5.4.1) */
	if (channel < 4)
		return proprietary | ESIM_CLA_INTERINDUSTRY | channel;
	return proprietary | ESIM_CLA_FURTHER_INTERINDUSTRY | (channel - 4);
}

GPtrArray *
esim_apdu_build_store_data (guint channel, const guint8 *data, gsize len, gsize segment_size)
{
	GPtrArray *commands;
	gsize n_blocks;
	gsize offset = 0;

	g_return_val_if_fail (channel <= ESIM_LOGICAL_CHANNEL_MAX, NULL);
	g_return_val_if_fail (data != NULL || len == 0, NULL);
	g_return_val_if_fail (segment_size >= 1 && segment_size <= ESIM_STORE_DATA_MAX_SEGMENT,
			      NULL);

	n_blocks = len == 0 ? 1 : (len + segment_size - 1) / segment_size;
	/* P2 numbers blocks with one byte: a longer request cannot be expressed */
	if (n_blocks > ESIM_STORE_DATA_MAX_BLOCKS)
		return NULL;

	commands = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
	for (gsize block = 0; block < n_blocks; block++) {
		gsize chunk = MIN (segment_size, len - offset);
		EsimApdu apdu = {
			.cla = esim_apdu_cla_for_channel (channel, TRUE),
			.ins = ESIM_INS_STORE_DATA,
			.p1 = block + 1 == n_blocks ? ESIM_STORE_DATA_P1_LAST :
			                              ESIM_STORE_DATA_P1_MORE,
			.p2 = (guint8) block,
			.data = chunk > 0 ? data + offset : NULL,
			.data_len = chunk,
			.le = -1, /* case 3, as the cards in vectors.md V2/V4 were sent */
		};
		g_ptr_array_add (commands, esim_apdu_encode (&apdu));
		offset += chunk;
	}
	return commands;
}

GBytes *
esim_apdu_build_terminal_capability (guint channel)
{
	/* A9 { 83 01 07 }: eUICC-related terminal capabilities LUId + LPDd + LDSd */
	static const guint8 capabilities[] = {
		ESIM_TAG_TERMINAL_CAPABILITY, 0x03, ESIM_TAG_EUICC_TERMINAL_CAPS, 0x01, 0x07,
	};
	EsimApdu apdu = {
		.ins = ESIM_INS_TERMINAL_CAPABILITY,
		.p1 = 0x00,
		.p2 = 0x00,
		.data = capabilities,
		.data_len = sizeof (capabilities),
		.le = -1,
	};

	g_return_val_if_fail (channel <= ESIM_LOGICAL_CHANNEL_MAX, NULL);
	apdu.cla = esim_apdu_cla_for_channel (channel, TRUE);
	return esim_apdu_encode (&apdu);
}
