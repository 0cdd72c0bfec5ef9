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

#include <stdlib.h>
#include <string.h>

#include "esim-util.h"
#include "esim-veuicc-private.h"

/* SW1 61 / 6C with the byte count in SW2 */
#define SW_MORE_DATA(n) ((guint16) ((ESIM_SW1_MORE_DATA << 8) | ((n) >= 256 ? 0x00 : (n))))
#define SW_WRONG_LE(n)  ((guint16) ((ESIM_SW1_WRONG_LE << 8) | (n)))

static const guint8 isdr_aid[16] = { ESIM_ISDR_AID_BYTES };

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
		return sw_response (ESIM_SW_OK);
	channel->pending = g_bytes_ref (data);
	return sw_response (SW_MORE_DATA (len));
}

/* CLA -> logical channel; 0 or the ISO status word refusing the class. */
static guint16
decode_cla (guint8 cla, guint *channel, gboolean *proprietary)
{
	if (cla == 0xFF)
		return ESIM_SW_CLA_NOT_SUPPORTED;
	if ((cla & 0x60) == 0x00) {
		/* 000x xxxx first interindustry, 100x xxxx proprietary: channels 0–3 */
		if (cla & 0x10)
			return ESIM_SW_CHAINING_NOT_SUPPORTED;
		if (cla & 0x0C)
			return ESIM_SW_SECURE_MESSAGING_NOT_SUPPORTED;
		*channel = cla & 0x03;
		*proprietary = (cla & 0x80) != 0;
		return 0;
	}
	/* 01xx xxxx further interindustry, 11xx xxxx proprietary: channels 4–19 */
	if (cla & 0x40)
		return ESIM_SW_LOGICAL_CHANNEL_NOT_SUPPORTED;
	return ESIM_SW_CLA_NOT_SUPPORTED;
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
		return ESIM_SW_WRONG_LENGTH;
	cmd->lc = buf[4];
	cmd->data = buf + 5;
	if (len == 5 + cmd->lc)
		return 0;
	if (len == 6 + cmd->lc) {
		cmd->le = buf[len - 1] == 0 ? 256 : buf[len - 1];
		cmd->le_zero = buf[len - 1] == 0;
		return 0;
	}
	return ESIM_SW_WRONG_LENGTH;
}

static GBytes *
do_manage_channel (EsimVeuicc *self, const VeuiccCommand *cmd)
{
	VeuiccChannel *origin = &self->channels[cmd->channel];
	guint target = cmd->p2;
	guint8 assigned[3] = { 0x00, ESIM_SW_OK >> 8, ESIM_SW_OK & 0xFF };

	if (cmd->lc > 0)
		return sw_response (ESIM_SW_WRONG_LENGTH);
	if (cmd->p1 == ESIM_MANAGE_CHANNEL_P1_CLOSE) {
		if (target == 0 || target > ESIM_LOGICAL_CHANNEL_MAX)
			return sw_response (ESIM_SW_WRONG_P1P2);
		if (target >= VEUICC_N_CHANNELS || !self->channels[target].open)
			return sw_response (ESIM_SW_LOGICAL_CHANNEL_NOT_SUPPORTED);
		channel_clear (&self->channels[target]);
		g_debug ("logical channel %u closed", target);
		return sw_response (ESIM_SW_OK);
	}
	if (cmd->p1 != ESIM_MANAGE_CHANNEL_P1_OPEN)
		return sw_response (ESIM_SW_WRONG_P1P2);
	if (target == 0) {
		for (target = 1; target < VEUICC_N_CHANNELS; target++) {
			if (!self->channels[target].open)
				break;
		}
		if (target == VEUICC_N_CHANNELS)
			return sw_response (ESIM_SW_FUNCTION_NOT_SUPPORTED);
	} else if (target > ESIM_LOGICAL_CHANNEL_MAX) {
		return sw_response (ESIM_SW_WRONG_P1P2);
	} else if (target >= VEUICC_N_CHANNELS) {
		return sw_response (ESIM_SW_LOGICAL_CHANNEL_NOT_SUPPORTED);
	} else if (self->channels[target].open) {
		return sw_response (ESIM_SW_FUNCTION_NOT_SUPPORTED);
	}
	channel_clear (&self->channels[target]);
	self->channels[target].open = TRUE;
	self->channels[target].isdr_selected = cmd->channel != 0 && origin->isdr_selected;
	g_debug ("logical channel %u opened", target);
	if (cmd->p2 != 0)
		return sw_response (ESIM_SW_OK);
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

	esim_der_writer_begin (writer, ESIM_TAG_FCI);
	esim_der_writer_put (writer, ESIM_TAG_FCI_AID, isdr_aid, sizeof (isdr_aid));
	esim_der_writer_begin (writer, ESIM_TAG_FCI_PROPRIETARY);
	esim_der_writer_put (writer, ESIM_TAG_FCI_MAX_LENGTH, &max_length, 1);
	esim_der_writer_begin (writer, ESIM_TAG_ISDR_PROPRIETARY);
	esim_der_writer_put (writer, ESIM_TAG_ISDR_SVN, svn, sizeof (svn));
	esim_der_writer_end (writer);
	esim_der_writer_begin (writer, ESIM_TAG_ISDR_PROPRIETARY_IOT);
	/* euiccConfiguration: enabledProfile (1), never ipaeSupported (0) */
	esim_der_writer_put_named_bits (writer, ESIM_TAG_ISDR_EUICC_CONFIGURATION,
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

	if (cmd->p1 != ESIM_SELECT_P1_BY_AID ||
	    (cmd->p2 != ESIM_SELECT_P2_FCI && cmd->p2 != ESIM_SELECT_P2_FCP &&
	     cmd->p2 != ESIM_SELECT_P2_NO_DATA))
		return sw_response (ESIM_SW_WRONG_P1P2);
	if (cmd->lc == 0)
		return sw_response (ESIM_SW_WRONG_LENGTH);
	if (cmd->lc != sizeof (isdr_aid) || memcmp (cmd->data, isdr_aid, sizeof (isdr_aid)) != 0)
		return sw_response (ESIM_SW_FILE_NOT_FOUND);
	channel->isdr_selected = TRUE;
	channel_drop_request (channel);
	if (cmd->p2 == ESIM_SELECT_P2_NO_DATA)
		return sw_response (ESIM_SW_OK);
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
		return sw_response (ESIM_SW_WRONG_P1P2);
	esim_tlv_iter_init_buf (&iter, cmd->data, cmd->lc);
	while (esim_tlv_iter_next (&iter, &tlv, &error))
		;
	if (error != NULL)
		return sw_response (ESIM_SW_WRONG_DATA);
	return sw_response (ESIM_SW_OK);
}

static GBytes *
do_store_data (EsimVeuicc *self, const VeuiccCommand *cmd)
{
	VeuiccChannel *channel = &self->channels[cmd->channel];
	g_autoptr(GBytes) response = NULL;
	g_autoptr(GByteArray) request = NULL;
	guint16 sw = ESIM_SW_OK;

	if (!channel->isdr_selected)
		return sw_response (ESIM_SW_CONDITIONS_NOT_SATISFIED);
	if (cmd->p1 != ESIM_STORE_DATA_P1_MORE && cmd->p1 != ESIM_STORE_DATA_P1_LAST)
		return sw_response (ESIM_SW_WRONG_P1P2);
	if (cmd->lc == 0)
		return sw_response (ESIM_SW_WRONG_LENGTH);
	/* block 0 always starts afresh, e.g. after an interrupted sequence */
	if (cmd->p2 == 0)
		channel_drop_request (channel);
	if (cmd->p2 != channel->next_block) {
		channel_drop_request (channel);
		return sw_response (ESIM_SW_WRONG_P1P2);
	}
	/* P2 is one byte: a request is at most 256 blocks of 255 bytes, which bounds memory */
	if (channel->request == NULL)
		channel->request = g_byte_array_new ();
	g_byte_array_append (channel->request, cmd->data, cmd->lc);
	channel->next_block++;
	if (cmd->p1 == ESIM_STORE_DATA_P1_MORE)
		return sw_response (ESIM_SW_OK);

	request = g_steal_pointer (&channel->request);
	channel->next_block = 0;
	response = veuicc_es10_dispatch (self, request->data, request->len, &sw);
	if (sw != ESIM_SW_OK)
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
		return sw_response (ESIM_SW_WRONG_P1P2);
	if (cmd->lc > 0)
		return sw_response (ESIM_SW_WRONG_LENGTH);
	if (channel->pending == NULL)
		return sw_response (ESIM_SW_CONDITIONS_NOT_SATISFIED);
	remaining = g_bytes_get_size (channel->pending) - channel->pending_offset;
	if (cmd->le > 0 && !cmd->le_zero && (gsize) cmd->le > remaining)
		return sw_response (SW_WRONG_LE (remaining));
	n = MIN (remaining, cmd->le > 0 ? (gsize) cmd->le : 256);
	piece = g_bytes_new_from_bytes (channel->pending, channel->pending_offset, n);
	channel->pending_offset += n;
	remaining -= n;
	if (remaining == 0) {
		channel_drop_pending (channel);
		return make_response (piece, ESIM_SW_OK);
	}
	return make_response (piece, SW_MORE_DATA (remaining));
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
		return sw_response (ESIM_SW_WRONG_LENGTH);
	cmd.cla = buf[0];
	cmd.ins = buf[1];
	cmd.p1 = buf[2];
	cmd.p2 = buf[3];
	sw = decode_cla (cmd.cla, &cmd.channel, &cmd.proprietary);
	if (sw != 0)
		return sw_response (sw);
	if (!self->channels[cmd.channel].open)
		return sw_response (ESIM_SW_LOGICAL_CHANNEL_NOT_SUPPORTED);
	sw = parse_body (buf, len, &cmd);
	if (sw != 0)
		return sw_response (sw);

	/* ISO 7816-4: a held response survives only until the next command on its channel */
	if (cmd.ins != ESIM_INS_GET_RESPONSE)
		channel_drop_pending (&self->channels[cmd.channel]);

	switch (cmd.ins) {
	case ESIM_INS_MANAGE_CHANNEL:
		return cmd.proprietary ? sw_response (ESIM_SW_CLA_NOT_SUPPORTED) : do_manage_channel (self, &cmd);
	case ESIM_INS_SELECT:
		return cmd.proprietary ? sw_response (ESIM_SW_CLA_NOT_SUPPORTED) : do_select (self, &cmd);
	case ESIM_INS_GET_RESPONSE:
		return do_get_response (self, &cmd);
	case ESIM_INS_STORE_DATA:
		return cmd.proprietary ? do_store_data (self, &cmd) : sw_response (ESIM_SW_CLA_NOT_SUPPORTED);
	case ESIM_INS_TERMINAL_CAPABILITY:
		return cmd.proprietary ? do_terminal_capability (self, &cmd) :
		                         sw_response (ESIM_SW_CLA_NOT_SUPPORTED);
	default:
		return sw_response (ESIM_SW_INS_NOT_SUPPORTED);
	}
}

void
esim_veuicc_reset (EsimVeuicc *self)
{
	g_return_if_fail (ESIM_IS_VEUICC (self));
	for (guint i = 0; i < VEUICC_N_CHANNELS; i++)
		channel_clear (&self->channels[i]);
	self->channels[0].open = TRUE;
	/* the RSP session lives in volatile memory: a reset ends it, and with it
	 * any package half loaded (SGP.22 §3.1.3: nothing of it is installed) */
	veuicc_download_end_session (self);
	/* so does the session context ImmediateEnable needs */
	g_clear_pointer (&self->installed_iccid, g_free);
}

const gchar *
esim_veuicc_get_eid (EsimVeuicc *self)
{
	g_return_val_if_fail (ESIM_IS_VEUICC (self), NULL);
	return self->eid;
}

const gchar *
esim_veuicc_get_credentials_dir (EsimVeuicc *self)
{
	g_return_val_if_fail (ESIM_IS_VEUICC (self), NULL);
	return self->credentials;
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

const gchar *
esim_veuicc_get_enabled_iccid (EsimVeuicc *self)
{
	VeuiccProfile *profile;

	g_return_val_if_fail (ESIM_IS_VEUICC (self), NULL);
	profile = veuicc_find_enabled_profile (self);
	return profile != NULL ? profile->iccid : NULL;
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
	g_free (self->credentials);
	veuicc_bpp_load_free (self->bpp_load);
	veuicc_download_free (self->download);
	veuicc_state_clear_saved (self);
	g_ptr_array_unref (self->package_results);
	veuicc_rollback_free (self->rollback);
	g_clear_pointer (&self->immediate_enable_smdp_oid, g_bytes_unref);
	g_free (self->immediate_enable_smdp_address);
	g_free (self->installed_iccid);

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
	self->package_results =
		g_ptr_array_new_with_free_func ((GDestroyNotify) veuicc_package_result_free);
	self->max_profiles = VEUICC_MAX_PROFILES;
	self->channels[0].open = TRUE;
}

/* Paths equal once both are resolved (a credentials directory may be named
 * through a link or relative to the state file). */
static gboolean
same_directory (const gchar *a, const gchar *b)
{
	g_autofree gchar *real_a = realpath (a, NULL);
	g_autofree gchar *real_b = realpath (b, NULL);

	return real_a != NULL && real_b != NULL && g_str_equal (real_a, real_b);
}

/* An existing card keeps its identity: refuse to take it as another. */
static gboolean
check_identity (EsimVeuicc *self, const EsimVeuiccOptions *options, GError **error)
{
	const gchar *loaded = veuicc_crypto_get_credentials_dir (self->crypto);

	if (options == NULL || options->credentials_dir == NULL)
		return TRUE;
	if (loaded != NULL && same_directory (loaded, options->credentials_dir))
		return TRUE;
	if (loaded == NULL)
		g_set_error (error, ESIM_VEUICC_ERROR, ESIM_VEUICC_ERROR_IO,
		             "state file %s holds a card with keys of its own, not the credentials in "
		             "%s: a card does not change identity (use a new state file)",
		             self->path, options->credentials_dir);
	else
		g_set_error (error, ESIM_VEUICC_ERROR, ESIM_VEUICC_ERROR_IO,
		             "state file %s holds a card with the credentials in %s, not those in %s: "
		             "a card does not change identity (use a new state file)",
		             self->path, loaded, options->credentials_dir);
	return FALSE;
}

/* Makes the fresh card @options ask for. */
static gboolean
init_card (EsimVeuicc *self, const EsimVeuiccOptions *options, GError **error)
{
	if (options != NULL && options->max_profiles > 0)
		self->max_profiles = MIN (options->max_profiles, VEUICC_MAX_PROFILES);
	return veuicc_state_init_fresh (self, options != NULL ? options->credentials_dir : NULL,
	                                options != NULL ? options->eid : NULL, error);
}

EsimVeuicc *
esim_veuicc_new_from_file (const gchar *path, gboolean create, GError **error)
{
	return esim_veuicc_new_from_file_full (path, create, NULL, error);
}

EsimVeuicc *
esim_veuicc_new_from_file_full (const gchar *path, gboolean create, const EsimVeuiccOptions *options,
                                GError **error)
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
	if (veuicc_state_load (self, &missing, error)) {
		if (!check_identity (self, options, error))
			return NULL;
		if (self->from_seed) {
			/* a seed names credentials: the card is made now and saved in full */
			if (!veuicc_state_save (self, error))
				return NULL;
			self->from_seed = FALSE;
			eid = esim_log_personal (self->eid);
			g_message ("created software eUICC %s in %s from its seed", eid, self->path);
		}
		return g_steal_pointer (&self);
	}
	if (!missing)
		return NULL;
	if (!create) {
		g_set_error (error, ESIM_VEUICC_ERROR, ESIM_VEUICC_ERROR_IO,
		             "state file %s does not exist", path);
		return NULL;
	}
	if (!init_card (self, options, &error_local)) {
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

	if (!init_card (self, NULL, &error)) {
		/* only a broken crypto library gets here */
		g_critical ("cannot create an ephemeral eUICC: %s", error->message);
		return NULL;
	}
	return g_steal_pointer (&self);
}

EsimVeuicc *
esim_veuicc_new_ephemeral_full (const EsimVeuiccOptions *options, GError **error)
{
	g_autoptr(EsimVeuicc) self = g_object_new (ESIM_TYPE_VEUICC, NULL);

	g_return_val_if_fail (error == NULL || *error == NULL, NULL);

	if (!init_card (self, options, error))
		return NULL;
	return g_steal_pointer (&self);
}
