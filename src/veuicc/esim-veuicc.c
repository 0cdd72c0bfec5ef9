/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The APDU layer of the software eUICC, modelled on a T=0 IoT eUICC:
 *
 * - CLA: 0x (interindustry) and 8x (proprietary) codings of channels 0–3;
 *   4x–7x / Cx–Fx (channels 4–19) answer 6881, secure messaging bits 6882,
 *   the chaining bit 6884, any other class 6E00.  An instruction sent in the
 *   wrong class for it (00 E2, 80 A4…) answers 6E00, an unknown INS 6D00.
 * - MANAGE CHANNEL (00 70): open P2=00 returns the lowest free channel 1–3 and
 *   9000, or 6A81 when all are in use; open P2=1–3 opens that channel.  A
 *   channel opened from a non-basic channel inherits its selected application
 *   (ISO 7816-4 / ETSI TS 102 221 MANAGE CHANNEL rule).  Close is 00 70 80 ch.
 * - SELECT (00 A4 04 P2) by full AID: the ISD-R answers 61xx with its FCI
 *   (P2 00 or 04) or 9000 (P2 0C); another AID answers 6A82 and keeps the
 *   current selection.  The FCI is
 *     6F { 84 <ISD-R AID>, A5 { 9F65 01 FF,
 *                               E0 { 82 03 020500 }     (SGP.22 ISDRProprietaryApplicationTemplate)
 *                               E1 { 80 euiccConfiguration } } }   (SGP.32 v1.2, [PRIVATE 1])
 *   where euiccConfiguration has enabledProfile(1) set when a profile is
 *   enabled and never ipaeSupported(0).  Placing E0/E1 inside A5 is our
 *   reading of SGP.22 §5.7 [unverified: no real FCI bytes were available].
 * - TERMINAL CAPABILITY (80 AA 00 00): 9000 (6A80 if its data are not TLVs).
 * - STORE DATA (80 E2 P1 P2): P1 11 = more blocks, 91 = last; P2 counts the
 *   blocks from 00 (P2 00 always starts a new request; any other unexpected
 *   number answers 6A86 and drops the request).  Blocks are collected per
 *   channel; intermediate blocks answer 9000; the last runs the ES10 function.
 * - Responses are held per channel: 61xx announces them (00 = 256 or more),
 *   GET RESPONSE (00 C0 or 80 C0, both codings as real cards accept) hands out
 *   at most Le bytes, with 61xx while more remains.  Le 00 (or no Le) means "up to 256";
 *   an explicit Le larger than what remains answers 6Cxx with the exact count
 *   (as a T=0 card does) and keeps the data.  Any other command on that
 *   channel discards the held response.  Nothing held: 6985.
 * - STORE DATA or GET RESPONSE without the ISD-R selected: 6985.  A length
 *   that does not match a short APDU case (or an extended length): 6700.
 */

#define G_LOG_DOMAIN "esim-veuicc"

#include <string.h>

#include "esim-util.h"
#include "esim-veuicc-private.h"

#define INS_MANAGE_CHANNEL 0x70
#define INS_SELECT 0xA4
#define INS_TERMINAL_CAPABILITY 0xAA
#define INS_GET_RESPONSE 0xC0
#define INS_STORE_DATA 0xE2

static const guint8 isdr_aid[16] = {
	0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
	0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x01, 0x00,
};

G_DEFINE_QUARK (esim-veuicc-error-quark, esim_veuicc_error)

G_DEFINE_TYPE (EsimVeuicc, esim_veuicc, G_TYPE_OBJECT)

/* One parsed short command APDU. */
typedef struct {
	guint8        cla;
	guint8        ins;
	guint8        p1;
	guint8        p2;
	guint         channel;
	gboolean      proprietary;  /* 8x class */
	const guint8 *data;
	gsize         lc;
	gint          le;           /* -1 absent, else 1..256 */
	gboolean      le_zero;      /* Le was coded 00 */
} VeuiccCommand;

static void
channel_drop_request (VeuiccChannel *channel)
{
	if (channel->request != NULL)
		g_byte_array_unref (channel->request);
	channel->request = NULL;
	channel->next_block = 0;
}

static void
channel_drop_pending (VeuiccChannel *channel)
{
	g_clear_pointer (&channel->pending, g_bytes_unref);
	channel->pending_offset = 0;
}

static void
channel_clear (VeuiccChannel *channel)
{
	channel_drop_request (channel);
	channel_drop_pending (channel);
	channel->isdr_selected = FALSE;
	channel->open = FALSE;
}

/* Response data (may be NULL) followed by SW1 SW2. */
static GBytes *
make_response (GBytes *data, guint16 sw)
{
	GByteArray *out = g_byte_array_new ();
	guint8 trailer[2] = { sw >> 8, sw & 0xFF };
	if (data != NULL)
		g_byte_array_append (out, g_bytes_get_data (data, NULL), g_bytes_get_size (data));
	g_byte_array_append (out, trailer, 2);
	return g_byte_array_free_to_bytes (out);
}

static GBytes *
sw_response (guint16 sw)
{
	return make_response (NULL, sw);
}

/* Holds @data on @channel and announces it with 61xx (9000 when empty). */
static GBytes *
hold_response (VeuiccChannel *channel, GBytes *data)
{
	gsize len = data != NULL ? g_bytes_get_size (data) : 0;
	channel_drop_pending (channel);
	if (len == 0)
		return sw_response (0x9000);
	channel->pending = g_bytes_ref (data);
	return sw_response (0x6100 | (len >= 256 ? 0x00 : len));
}

/* CLA -> logical channel; 0 or the ISO status word refusing the class. */
static guint16
decode_cla (guint8 cla, guint *channel, gboolean *proprietary)
{
	if (cla == 0xFF)
		return 0x6E00;
	if ((cla & 0x60) == 0x00) {
		/* 000x xxxx first interindustry, 100x xxxx proprietary: channels 0–3 */
		if (cla & 0x10)
			return 0x6884;
		if (cla & 0x0C)
			return 0x6882;
		*channel = cla & 0x03;
		*proprietary = (cla & 0x80) != 0;
		return 0;
	}
	/* 01xx xxxx further interindustry, 11xx xxxx proprietary: channels 4–19 */
	if (cla & 0x40)
		return 0x6881;
	return 0x6E00;
}

/* Splits the short APDU cases 1–4; 0 or 6700. */
static guint16
parse_body (const guint8 *buf, gsize len, VeuiccCommand *cmd)
{
	cmd->data = NULL;
	cmd->lc = 0;
	cmd->le = -1;
	cmd->le_zero = FALSE;
	if (len == 4)
		return 0;
	if (len == 5) {
		cmd->le = buf[4] == 0 ? 256 : buf[4];
		cmd->le_zero = buf[4] == 0;
		return 0;
	}
	/* Lc = 00 would start an extended length: not supported */
	if (buf[4] == 0)
		return 0x6700;
	cmd->lc = buf[4];
	cmd->data = buf + 5;
	if (len == 5 + cmd->lc)
		return 0;
	if (len == 6 + cmd->lc) {
		cmd->le = buf[len - 1] == 0 ? 256 : buf[len - 1];
		cmd->le_zero = buf[len - 1] == 0;
		return 0;
	}
	return 0x6700;
}

static GBytes *
do_manage_channel (EsimVeuicc *self, const VeuiccCommand *cmd)
{
	VeuiccChannel *origin = &self->channels[cmd->channel];
	guint target = cmd->p2;
	guint8 assigned[3] = { 0x00, 0x90, 0x00 };

	if (cmd->lc > 0)
		return sw_response (0x6700);
	if (cmd->p1 == 0x80) {
		if (target == 0 || target > 19)
			return sw_response (0x6A86);
		if (target >= VEUICC_N_CHANNELS || !self->channels[target].open)
			return sw_response (0x6881);
		channel_clear (&self->channels[target]);
		g_debug ("logical channel %u closed", target);
		return sw_response (0x9000);
	}
	if (cmd->p1 != 0x00)
		return sw_response (0x6A86);
	if (target == 0) {
		for (target = 1; target < VEUICC_N_CHANNELS; target++) {
			if (!self->channels[target].open)
				break;
		}
		if (target == VEUICC_N_CHANNELS)
			return sw_response (0x6A81);
	} else if (target > 19) {
		return sw_response (0x6A86);
	} else if (target >= VEUICC_N_CHANNELS) {
		return sw_response (0x6881);
	} else if (self->channels[target].open) {
		return sw_response (0x6A81);
	}
	channel_clear (&self->channels[target]);
	self->channels[target].open = TRUE;
	self->channels[target].isdr_selected = cmd->channel != 0 && origin->isdr_selected;
	g_debug ("logical channel %u opened", target);
	if (cmd->p2 != 0)
		return sw_response (0x9000);
	/* the card chose the channel: its number, then 9000 */
	assigned[0] = (guint8) target;
	return g_bytes_new (assigned, sizeof (assigned));
}

static GBytes *
build_fci (EsimVeuicc *self)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	static const guint8 svn[] = { 0x02, 0x05, 0x00 };
	static const guint8 max_length = 0xFF;

	esim_der_writer_begin (writer, 0x6F);
	esim_der_writer_put (writer, 0x84, isdr_aid, sizeof (isdr_aid));
	esim_der_writer_begin (writer, 0xA5);
	esim_der_writer_put (writer, 0x9F65, &max_length, 1);
	esim_der_writer_begin (writer, 0xE0);
	esim_der_writer_put (writer, 0x82, svn, sizeof (svn));
	esim_der_writer_end (writer);
	esim_der_writer_begin (writer, 0xE1);
	/* euiccConfiguration: enabledProfile (1), never ipaeSupported (0) */
	esim_der_writer_put_named_bits (writer, 0x80,
	                                veuicc_find_enabled_profile (self) != NULL ? 1u << 1 : 0);
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

static GBytes *
do_select (EsimVeuicc *self, const VeuiccCommand *cmd)
{
	VeuiccChannel *channel = &self->channels[cmd->channel];
	g_autoptr(GBytes) fci = NULL;

	if (cmd->p1 != 0x04 || (cmd->p2 != 0x00 && cmd->p2 != 0x04 && cmd->p2 != 0x0C))
		return sw_response (0x6A86);
	if (cmd->lc == 0)
		return sw_response (0x6700);
	if (cmd->lc != sizeof (isdr_aid) || memcmp (cmd->data, isdr_aid, sizeof (isdr_aid)) != 0)
		return sw_response (0x6A82);
	channel->isdr_selected = TRUE;
	channel_drop_request (channel);
	if (cmd->p2 == 0x0C)
		return sw_response (0x9000);
	fci = build_fci (self);
	return hold_response (channel, fci);
}

static GBytes *
do_terminal_capability (EsimVeuicc *self, const VeuiccCommand *cmd)
{
	g_autoptr(GError) error = NULL;
	EsimTlvIter iter;
	EsimTlv tlv;

	if (cmd->p1 != 0x00 || cmd->p2 != 0x00)
		return sw_response (0x6A86);
	esim_tlv_iter_init_buf (&iter, cmd->data, cmd->lc);
	while (esim_tlv_iter_next (&iter, &tlv, &error))
		;
	if (error != NULL)
		return sw_response (0x6A80);
	return sw_response (0x9000);
}

static GBytes *
do_store_data (EsimVeuicc *self, const VeuiccCommand *cmd)
{
	VeuiccChannel *channel = &self->channels[cmd->channel];
	g_autoptr(GBytes) response = NULL;
	g_autoptr(GByteArray) request = NULL;
	guint16 sw = 0x9000;

	if (!channel->isdr_selected)
		return sw_response (0x6985);
	if (cmd->p1 != 0x11 && cmd->p1 != 0x91)
		return sw_response (0x6A86);
	if (cmd->lc == 0)
		return sw_response (0x6700);
	/* block 0 always starts afresh, e.g. after an interrupted sequence */
	if (cmd->p2 == 0)
		channel_drop_request (channel);
	if (cmd->p2 != channel->next_block) {
		channel_drop_request (channel);
		return sw_response (0x6A86);
	}
	/* P2 is one byte: a request is at most 256 blocks of 255 bytes, which bounds memory */
	if (channel->request == NULL)
		channel->request = g_byte_array_new ();
	g_byte_array_append (channel->request, cmd->data, cmd->lc);
	channel->next_block++;
	if (cmd->p1 == 0x11)
		return sw_response (0x9000);

	request = g_steal_pointer (&channel->request);
	channel->next_block = 0;
	response = veuicc_es10_dispatch (self, request->data, request->len, &sw);
	if (sw != 0x9000)
		return sw_response (sw);
	return hold_response (channel, response);
}

static GBytes *
do_get_response (EsimVeuicc *self, const VeuiccCommand *cmd)
{
	VeuiccChannel *channel = &self->channels[cmd->channel];
	g_autoptr(GBytes) piece = NULL;
	gsize remaining, n;

	if (cmd->p1 != 0x00 || cmd->p2 != 0x00)
		return sw_response (0x6A86);
	if (cmd->lc > 0)
		return sw_response (0x6700);
	if (channel->pending == NULL)
		return sw_response (0x6985);
	remaining = g_bytes_get_size (channel->pending) - channel->pending_offset;
	if (cmd->le > 0 && !cmd->le_zero && (gsize) cmd->le > remaining)
		return sw_response (0x6C00 | remaining);
	n = MIN (remaining, cmd->le > 0 ? (gsize) cmd->le : 256);
	piece = g_bytes_new_from_bytes (channel->pending, channel->pending_offset, n);
	channel->pending_offset += n;
	remaining -= n;
	if (remaining == 0) {
		channel_drop_pending (channel);
		return make_response (piece, 0x9000);
	}
	return make_response (piece, 0x6100 | (remaining >= 256 ? 0x00 : remaining));
}

GBytes *
esim_veuicc_process_apdu (EsimVeuicc *self, GBytes *command)
{
	VeuiccCommand cmd = { 0 };
	const guint8 *buf;
	gsize len = 0;
	guint16 sw;

	g_return_val_if_fail (ESIM_IS_VEUICC (self), NULL);
	g_return_val_if_fail (command != NULL, NULL);

	buf = g_bytes_get_data (command, &len);
	if (len < 4)
		return sw_response (0x6700);
	cmd.cla = buf[0];
	cmd.ins = buf[1];
	cmd.p1 = buf[2];
	cmd.p2 = buf[3];
	sw = decode_cla (cmd.cla, &cmd.channel, &cmd.proprietary);
	if (sw != 0)
		return sw_response (sw);
	if (!self->channels[cmd.channel].open)
		return sw_response (0x6881);
	sw = parse_body (buf, len, &cmd);
	if (sw != 0)
		return sw_response (sw);

	/* ISO 7816-4: a held response survives only until the next command on its channel */
	if (cmd.ins != INS_GET_RESPONSE)
		channel_drop_pending (&self->channels[cmd.channel]);

	switch (cmd.ins) {
	case INS_MANAGE_CHANNEL:
		return cmd.proprietary ? sw_response (0x6E00) : do_manage_channel (self, &cmd);
	case INS_SELECT:
		return cmd.proprietary ? sw_response (0x6E00) : do_select (self, &cmd);
	case INS_GET_RESPONSE:
		return do_get_response (self, &cmd);
	case INS_STORE_DATA:
		return cmd.proprietary ? do_store_data (self, &cmd) : sw_response (0x6E00);
	case INS_TERMINAL_CAPABILITY:
		return cmd.proprietary ? do_terminal_capability (self, &cmd) : sw_response (0x6E00);
	default:
		return sw_response (0x6D00);
	}
}

void
esim_veuicc_reset (EsimVeuicc *self)
{
	g_return_if_fail (ESIM_IS_VEUICC (self));
	for (guint i = 0; i < VEUICC_N_CHANNELS; i++)
		channel_clear (&self->channels[i]);
	self->channels[0].open = TRUE;
}

const gchar *
esim_veuicc_get_eid (EsimVeuicc *self)
{
	g_return_val_if_fail (ESIM_IS_VEUICC (self), NULL);
	return self->eid;
}

const gchar *
esim_veuicc_get_path (EsimVeuicc *self)
{
	g_return_val_if_fail (ESIM_IS_VEUICC (self), NULL);
	return self->path;
}

const EsimFileId *
esim_veuicc_get_file_id (EsimVeuicc *self)
{
	g_return_val_if_fail (ESIM_IS_VEUICC (self), NULL);
	return self->path != NULL ? &self->file_id : NULL;
}

guint
esim_veuicc_get_n_profiles (EsimVeuicc *self)
{
	g_return_val_if_fail (ESIM_IS_VEUICC (self), 0);
	return self->profiles->len;
}

guint
esim_veuicc_get_n_notifications (EsimVeuicc *self)
{
	g_return_val_if_fail (ESIM_IS_VEUICC (self), 0);
	return self->notifications->len;
}

gboolean
esim_veuicc_add_profile (EsimVeuicc *self, const gchar *iccid, const gchar *name,
                         const gchar *provider, const gchar *profile_class, GError **error)
{
	VeuiccProfileClass klass;

	g_return_val_if_fail (ESIM_IS_VEUICC (self), FALSE);
	g_return_val_if_fail (iccid != NULL && name != NULL && provider != NULL, FALSE);
	g_return_val_if_fail (profile_class != NULL, FALSE);

	if (!veuicc_parse_profile_class (profile_class, &klass)) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		             "unknown profile class '%s'", profile_class);
		return FALSE;
	}
	if (!veuicc_add_profile_full (self, iccid, name, provider, klass, FALSE, FALSE, error))
		return FALSE;
	return veuicc_state_commit (self, error);
}

static void
esim_veuicc_finalize (GObject *object)
{
	EsimVeuicc *self = ESIM_VEUICC (object);

	for (guint i = 0; i < VEUICC_N_CHANNELS; i++)
		channel_clear (&self->channels[i]);
	g_free (self->path);
	g_free (self->eid);
	g_ptr_array_unref (self->profiles);
	g_ptr_array_unref (self->notifications);
	g_ptr_array_unref (self->eims);
	g_array_unref (self->faults);
	g_free (self->default_dp_address);
	g_free (self->root_ds_address);
	veuicc_crypto_free (self->crypto);
	veuicc_state_clear_saved (self);

	G_OBJECT_CLASS (esim_veuicc_parent_class)->finalize (object);
}

static void
esim_veuicc_class_init (EsimVeuiccClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS (klass);
	object_class->finalize = esim_veuicc_finalize;
}

static void
esim_veuicc_init (EsimVeuicc *self)
{
	self->profiles = g_ptr_array_new_with_free_func ((GDestroyNotify) veuicc_profile_free);
	self->notifications = g_ptr_array_new_with_free_func ((GDestroyNotify) veuicc_notification_free);
	self->eims = g_ptr_array_new_with_free_func ((GDestroyNotify) veuicc_eim_free);
	self->faults = g_array_new (FALSE, TRUE, sizeof (VeuiccFault));
	self->channels[0].open = TRUE;
}

EsimVeuicc *
esim_veuicc_new_from_file (const gchar *path, gboolean create, GError **error)
{
	g_autoptr(EsimVeuicc) self = NULL;
	g_autoptr(GError) error_local = NULL;
	g_autofree gchar *real_path = NULL;
	g_autofree gchar *eid = NULL;
	gboolean missing = FALSE;

	g_return_val_if_fail (path != NULL, NULL);
	g_return_val_if_fail (error == NULL || *error == NULL, NULL);

	/* a link is written through: the file it names is the card */
	real_path = esim_file_resolve (path, &error_local);
	if (real_path == NULL) {
		g_set_error (error, ESIM_VEUICC_ERROR, ESIM_VEUICC_ERROR_IO, "state file %s: %s", path,
		             error_local->message);
		return NULL;
	}
	self = g_object_new (ESIM_TYPE_VEUICC, NULL);
	self->path = g_steal_pointer (&real_path);
	veuicc_state_remove_leftovers (self);
	if (veuicc_state_load (self, &missing, error))
		return g_steal_pointer (&self);
	if (!missing)
		return NULL;
	if (!create) {
		g_set_error (error, ESIM_VEUICC_ERROR, ESIM_VEUICC_ERROR_IO,
		             "state file %s does not exist", path);
		return NULL;
	}
	if (!veuicc_state_init_fresh (self, &error_local)) {
		g_set_error (error, ESIM_VEUICC_ERROR, ESIM_VEUICC_ERROR_IO,
		             "cannot create a card for %s: %s", path, error_local->message);
		return NULL;
	}
	if (!veuicc_state_save (self, error))
		return NULL;
	eid = esim_log_personal (self->eid);
	g_debug ("created software eUICC %s in %s", eid, self->path);
	return g_steal_pointer (&self);
}

EsimVeuicc *
esim_veuicc_new_ephemeral (void)
{
	g_autoptr(EsimVeuicc) self = g_object_new (ESIM_TYPE_VEUICC, NULL);
	g_autoptr(GError) error = NULL;

	if (!veuicc_state_init_fresh (self, &error)) {
		/* only a broken crypto library gets here */
		g_critical ("cannot create an ephemeral eUICC: %s", error->message);
		return NULL;
	}
	return g_steal_pointer (&self);
}
