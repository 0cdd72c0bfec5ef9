/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fake QMI modem: QMUX on a pty master, UIM service backed by software
 * eUICCs.  The QMUX codec here is written independently of libqmi so that
 * the backend's hand-built TLVs are checked against a second reading of the
 * message layouts (libqmi data/qmi-service-uim.json and the CTL service).
 */

#define G_LOG_DOMAIN "fake-qmi"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>

#include "fake-qmi-modem.h"

#define QMUX_MARKER            0x01
#define QMUX_FLAG_FROM_SERVICE 0x80
#define QMI_SERVICE_CTL_ID     0x00
#define QMI_SERVICE_UIM_ID     0x0B

#define CTL_FLAG_RESPONSE      0x01
#define CTL_FLAG_INDICATION    0x02
#define SERVICE_FLAG_RESPONSE  0x02

#define CTL_GET_VERSION_INFO   0x0021
#define CTL_ALLOCATE_CID       0x0022
#define CTL_RELEASE_CID        0x0023
#define CTL_SYNC               0x0027

#define UIM_RESET              0x0000
#define UIM_POWER_OFF_SIM      0x0030
#define UIM_POWER_ON_SIM       0x0031
#define UIM_SEND_APDU          0x003B
#define UIM_LOGICAL_CHANNEL    0x003F
#define UIM_OPEN_CHANNEL       0x0042
#define UIM_SWITCH_SLOT        0x0046
#define UIM_GET_SLOT_STATUS    0x0047

/* QMI protocol error codes (libqmi QmiProtocolError) */
#define QMI_ERR_NONE                  0
#define QMI_ERR_MALFORMED_MESSAGE     1
#define QMI_ERR_INTERNAL              3
#define QMI_ERR_INVALID_CLIENT_ID     7
#define QMI_ERR_MISSING_ARGUMENT      17
#define QMI_ERR_NO_EFFECT             26
#define QMI_ERR_INVALID_ARGUMENT      48
#define QMI_ERR_DEVICE_NOT_READY      52
#define QMI_ERR_INSUFFICIENT_RESOURCES 68
#define QMI_ERR_INVALID_QMI_COMMAND   71
#define QMI_ERR_SIM_FILE_NOT_FOUND    80

#define FAKE_N_SLOTS    2
#define FAKE_N_CHANNELS 20
#define CHANNEL_CLOSED  (-1)
#define OWNER_OUTSIDE_QMI 0   /* opened through AT+CCHO or similar */

/* ISD-R AID, used for stale channels */
static const guint8 isdr_aid[] = {
	0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
	0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x01, 0x00,
};

typedef struct {
	EsimVeuicc *card;                      /* NULL: empty slot */
	gboolean    powered;
	gint        owner[FAKE_N_CHANNELS];    /* CHANNEL_CLOSED, OWNER_OUTSIDE_QMI or a UIM cid */
	gboolean    switch_pending[FAKE_N_CHANNELS];
	/* a LoadEuiccPackage is under way on the channel: the profile enabled before it */
	gboolean    package_pending[FAKE_N_CHANNELS];
	gchar      *package_enabled_before[FAKE_N_CHANNELS];
} FakeSlot;

/* One parsed request; pointers go into the frame buffer. */
typedef struct {
	guint8        service;
	guint8        cid;
	guint16       txn;
	guint16       msg_id;
	const guint8 *tlvs;
	gsize         tlvs_len;
} QmuxRequest;

struct _FakeQmiModem {
	GMainContext *context;
	gint          master_fd;
	gint          slave_fd;     /* kept open so the master never sees HUP */
	gchar        *port;
	GSource      *in_source;
	GSource      *out_source;
	GByteArray   *in_buf;
	GByteArray   *out_buf;
	gboolean      gone;

	FakeSlot      slots[FAKE_N_SLOTS];
	guint         active_slot;  /* physical, 1-based */
	gboolean      all_active;
	guint8        next_cid;
	GArray       *uim_cids;     /* guint8 */
	gchar        *link_dir;     /* holds the "ttyQMI0" link to the pty, once asked for */
	gchar        *link;

	/* faults */
	guint         open_channel_error;
	gboolean      reset_after_switch;
	guint         vanish_countdown;
	gboolean      hold_apdus;
	GQueue        held;         /* GBytes frames */
	gboolean      malformed_apdu_response;
	guint         switch_delay_polls;
	guint         switch_settling;  /* Get Slot Status answers left before the switch shows */
	guint         forget_countdown; /* Send APDU answers left before the clients are forgotten */
	FakeQmiModemCardResetFunc reset_func;
	gpointer      reset_func_data;

	/* counters */
	guint         n_apdus;
	guint         n_card_resets;
	guint         n_slot_switches;
	guint         n_unknown_client; /* UIM requests refused with InvalidClientId */
	GHashTable   *n_requests;   /* message id -> count */
	GHashTable   *n_ctl_requests; /* CTL message id -> count */
};

static void fake_process_frame (FakeQmiModem *self, const guint8 *frame, gsize len);

/* ------------------------------------------------------------------------ */
/* TLV helpers */

static gboolean
tlv_find (const QmuxRequest *req, guint8 type, const guint8 **value, gsize *len)
{
	gsize pos = 0;

	while (pos + 3 <= req->tlvs_len) {
		guint8 t = req->tlvs[pos];
		gsize l = req->tlvs[pos + 1] | (req->tlvs[pos + 2] << 8);

		if (pos + 3 + l > req->tlvs_len)
			return FALSE;
		if (t == type) {
			*value = req->tlvs + pos + 3;
			*len = l;
			return TRUE;
		}
		pos += 3 + l;
	}
	return FALSE;
}

static gboolean
tlv_find_u8 (const QmuxRequest *req, guint8 type, guint8 *out)
{
	const guint8 *value;
	gsize len;

	if (!tlv_find (req, type, &value, &len) || len != 1)
		return FALSE;
	*out = value[0];
	return TRUE;
}

static void
tlv_append (GByteArray *tlvs, guint8 type, const guint8 *value, gsize len)
{
	guint8 hdr[3] = { type, len & 0xFF, (len >> 8) & 0xFF };

	g_byte_array_append (tlvs, hdr, sizeof (hdr));
	if (len > 0)
		g_byte_array_append (tlvs, value, len);
}

static void
tlv_append_u8 (GByteArray *tlvs, guint8 type, guint8 value)
{
	tlv_append (tlvs, type, &value, 1);
}

static void
tlv_append_result (GByteArray *tlvs, guint16 qmi_error)
{
	guint8 result[4] = {
		qmi_error == QMI_ERR_NONE ? 0 : 1, 0,
		qmi_error & 0xFF, (qmi_error >> 8) & 0xFF,
	};
	tlv_append (tlvs, 0x02, result, sizeof (result));
}

static void
put_u16 (guint8 *p, guint16 v)
{
	p[0] = v & 0xFF;
	p[1] = (v >> 8) & 0xFF;
}

static void
put_u32 (GByteArray *a, guint32 v)
{
	guint8 b[4] = { v & 0xFF, (v >> 8) & 0xFF, (v >> 16) & 0xFF, (v >> 24) & 0xFF };
	g_byte_array_append (a, b, sizeof (b));
}

/* ------------------------------------------------------------------------ */
/* Output */

static gboolean fake_out_ready_cb (gint fd, GIOCondition condition, gpointer user_data);

static void
fake_flush (FakeQmiModem *self)
{
	while (self->out_buf->len > 0 && !self->gone) {
		gssize n = write (self->master_fd, self->out_buf->data, self->out_buf->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (self->out_source == NULL) {
				self->out_source = g_unix_fd_source_new (self->master_fd,
									 G_IO_OUT);
				g_source_set_callback (self->out_source,
						       G_SOURCE_FUNC (fake_out_ready_cb), self, NULL);
				g_source_attach (self->out_source, self->context);
			}
			return;
		}
		if (n <= 0) {
			g_debug ("write to pty master failed: %s", g_strerror (errno));
			g_byte_array_set_size (self->out_buf, 0);
			return;
		}
		g_byte_array_remove_range (self->out_buf, 0, n);
	}
}

static gboolean
fake_out_ready_cb (gint fd, GIOCondition condition, gpointer user_data)
{
	FakeQmiModem *self = user_data;

	g_clear_pointer (&self->out_source, g_source_unref);
	fake_flush (self);
	return G_SOURCE_REMOVE;
}

/* A response, or with @indication a CTL indication (flag 0x02 in the CTL header). */
static void
fake_send_full (FakeQmiModem *self, guint8 service, guint8 cid, guint16 txn, guint16 msg_id,
		gboolean indication, GByteArray *tlvs)
{
	guint8 hdr[13];
	gsize hdr_len;

	if (self->gone)
		return;
	hdr[0] = QMUX_MARKER;
	hdr[3] = QMUX_FLAG_FROM_SERVICE;
	hdr[4] = service;
	hdr[5] = cid;
	if (service == QMI_SERVICE_CTL_ID) {
		hdr[6] = indication ? CTL_FLAG_INDICATION : CTL_FLAG_RESPONSE;
		hdr[7] = txn & 0xFF;
		put_u16 (hdr + 8, msg_id);
		put_u16 (hdr + 10, tlvs->len);
		hdr_len = 12;
	} else {
		hdr[6] = SERVICE_FLAG_RESPONSE;
		put_u16 (hdr + 7, txn);
		put_u16 (hdr + 9, msg_id);
		put_u16 (hdr + 11, tlvs->len);
		hdr_len = 13;
	}
	put_u16 (hdr + 1, hdr_len - 1 + tlvs->len);
	g_byte_array_append (self->out_buf, hdr, hdr_len);
	g_byte_array_append (self->out_buf, tlvs->data, tlvs->len);
	fake_flush (self);
}

static void
fake_send (FakeQmiModem *self, guint8 service, guint8 cid, guint16 txn, guint16 msg_id,
	   GByteArray *tlvs)
{
	fake_send_full (self, service, cid, txn, msg_id, FALSE, tlvs);
}

/* Answers @req with the result TLV for @qmi_error plus @extra (nullable). */
static void
fake_reply (FakeQmiModem *self, const QmuxRequest *req, guint16 qmi_error, GByteArray *extra)
{
	g_autoptr(GByteArray) tlvs = g_byte_array_new ();

	tlv_append_result (tlvs, qmi_error);
	if (extra != NULL)
		g_byte_array_append (tlvs, extra->data, extra->len);
	fake_send (self, req->service, req->cid, req->txn, req->msg_id, tlvs);
}

/* ------------------------------------------------------------------------ */
/* Cards */

static GBytes *
card_apdu (EsimVeuicc *card, const guint8 *apdu, gsize len)
{
	g_autoptr(GBytes) command = g_bytes_new (apdu, len);
	return esim_veuicc_process_apdu (card, command);
}

static guint16
response_sw (GBytes *response)
{
	gsize len;
	const guint8 *p = g_bytes_get_data (response, &len);

	if (len < 2)
		return 0x6F00;
	return (p[len - 2] << 8) | p[len - 1];
}

static guint8
cla_for_channel (guint channel)
{
	return channel < 4 ? channel : 0x40 | (channel - 4);
}

static guint
channel_of_cla (guint8 cla)
{
	return (cla & 0x40) ? 4 + (cla & 0x0F) : (cla & 0x03);
}

/* Physical slot (1-based) behind logical slot @logical, 0 if none. */
static guint
fake_physical_for_logical (FakeQmiModem *self, guint8 logical)
{
	if (self->all_active)
		return logical >= 1 && logical <= FAKE_N_SLOTS ? logical : 0;
	return logical == 1 ? self->active_slot : 0;
}

static void
fake_slot_forget_channels (FakeSlot *slot)
{
	for (guint i = 0; i < FAKE_N_CHANNELS; i++) {
		slot->owner[i] = CHANNEL_CLOSED;
		slot->switch_pending[i] = FALSE;
		slot->package_pending[i] = FALSE;
		g_clear_pointer (&slot->package_enabled_before[i], g_free);
	}
}

/* A card reset: every logical channel is gone, pending responses dropped. */
static void
fake_reset_card (FakeQmiModem *self, guint physical)
{
	FakeSlot *slot = &self->slots[physical - 1];

	fake_slot_forget_channels (slot);
	if (slot->card == NULL)
		return;
	esim_veuicc_reset (slot->card);
	self->n_card_resets++;
}

static void
fake_close_card_channel (FakeSlot *slot, guint channel)
{
	guint8 close_apdu[] = { 0x00, 0x70, 0x80, channel, 0x00 };
	g_autoptr(GBytes) response = NULL;

	if (slot->card != NULL)
		response = card_apdu (slot->card, close_apdu, sizeof (close_apdu));
	slot->owner[channel] = CHANNEL_CLOSED;
	slot->switch_pending[channel] = FALSE;
}

/* Closes every channel @cid owns (releasing a client, UIM Reset). */
static void
fake_close_client_channels (FakeQmiModem *self, gint cid)
{
	for (guint s = 0; s < FAKE_N_SLOTS; s++) {
		for (guint ch = 1; ch < FAKE_N_CHANNELS; ch++) {
			if (self->slots[s].owner[ch] == cid)
				fake_close_card_channel (&self->slots[s], ch);
		}
	}
}

/* MANAGE CHANNEL open + SELECT (+ GET RESPONSE) as the modem firmware does.
 * Returns the channel, or 0 with *sw set to the failing status word. */
static guint
fake_card_open_channel (FakeSlot *slot, const guint8 *aid, gsize aid_len, guint8 p2,
			GByteArray *fci, guint16 *sw)
{
	guint8 manage[] = { 0x00, 0x70, 0x00, 0x00, 0x01 };
	g_autoptr(GBytes) response = card_apdu (slot->card, manage, sizeof (manage));
	g_autoptr(GByteArray) select = g_byte_array_new ();
	const guint8 *data;
	gsize len;
	guint channel;
	guint8 hdr[5];

	*sw = response_sw (response);
	data = g_bytes_get_data (response, &len);
	if (*sw != 0x9000 || len != 3 || data[0] == 0 || data[0] >= FAKE_N_CHANNELS)
		return 0;
	channel = data[0];

	hdr[0] = cla_for_channel (channel);
	hdr[1] = 0xA4;
	hdr[2] = 0x04;
	hdr[3] = p2;
	hdr[4] = aid_len;
	g_byte_array_append (select, hdr, sizeof (hdr));
	g_byte_array_append (select, aid, aid_len);
	g_byte_array_append (select, (const guint8 *) "\0", 1);
	g_bytes_unref (response);
	response = card_apdu (slot->card, select->data, select->len);
	for (guint i = 0; i < 16 && (response_sw (response) >> 8) == 0x61; i++) {
		guint8 get_response[] = { cla_for_channel (channel), 0xC0, 0x00, 0x00,
					  response_sw (response) & 0xFF };
		g_bytes_unref (response);
		response = card_apdu (slot->card, get_response, sizeof (get_response));
		data = g_bytes_get_data (response, &len);
		if (len > 2)
			g_byte_array_append (fci, data, len - 2);
	}
	*sw = response_sw (response);
	if (*sw != 0x9000) {
		fake_close_card_channel (slot, channel);
		return 0;
	}
	return channel;
}

/* ------------------------------------------------------------------------ */
/* CTL service */

/* Every UIM client id is released, and the channels each had open with it. */
static void
fake_release_all_clients (FakeQmiModem *self)
{
	for (guint i = 0; i < self->uim_cids->len; i++)
		fake_close_client_channels (self, g_array_index (self->uim_cids, guint8, i));
	g_array_set_size (self->uim_cids, 0);
}

/* The modem forgets its clients without being asked by them: its QMI service
 * restarted (firmware crash, subsystem restart) or another control point sent
 * CTL Sync (0x0027, libqmi data/qmi-service-ctl.json) on the same port.  The
 * answer to that Sync goes to the program that sent it only; a restart of
 * the QMI service is announced to every control point with a CTL Sync
 * indication: CTL message 0x0027 with the indication flag (0x02) and no TLV,
 * as Qualcomm's QMICTL_SYNC_IND in GobiNet and quectel-CM's qmi headers
 * define it; libqmi's QmiDevice (qmi-device.c sync_indication_cb) only logs
 * it, and qmi-proxy forwards no CTL indication to its clients (qmi-proxy.c
 * indication_cb matches a client's allocated service ids, never CTL). */
static void
fake_forget_clients (FakeQmiModem *self, gboolean sync_indication)
{
	g_debug ("fake QMI modem %s: every client id forgotten%s", self->port,
		 sync_indication ? " (CTL Sync indication)" : "");
	fake_release_all_clients (self);
	if (sync_indication) {
		g_autoptr(GByteArray) none = g_byte_array_new ();

		fake_send_full (self, QMI_SERVICE_CTL_ID, 0, 0, CTL_SYNC, TRUE, none);
	}
}

static void
fake_handle_ctl (FakeQmiModem *self, const QmuxRequest *req)
{
	g_autoptr(GByteArray) extra = g_byte_array_new ();
	const guint8 *value;
	gsize len;

	switch (req->msg_id) {
	case CTL_GET_VERSION_INFO: {
		/* CTL 1.5, UIM 1.55 */
		static const guint8 list[] = { 2, 0x00, 1, 0, 5, 0, 0x0B, 1, 0, 55, 0 };
		tlv_append (extra, 0x01, list, sizeof (list));
		fake_reply (self, req, QMI_ERR_NONE, extra);
		return;
	}
	case CTL_ALLOCATE_CID: {
		guint8 service;
		guint8 info[2];

		if (!tlv_find_u8 (req, 0x01, &service)) {
			fake_reply (self, req, QMI_ERR_MISSING_ARGUMENT, NULL);
			return;
		}
		if (self->next_cid == 0 || self->next_cid == 0xFF)
			self->next_cid = 1;
		info[0] = service;
		info[1] = self->next_cid++;
		if (service == QMI_SERVICE_UIM_ID)
			g_array_append_val (self->uim_cids, info[1]);
		tlv_append (extra, 0x01, info, sizeof (info));
		fake_reply (self, req, QMI_ERR_NONE, extra);
		return;
	}
	case CTL_RELEASE_CID: {
		gboolean found = FALSE;

		if (!tlv_find (req, 0x01, &value, &len) || len != 2) {
			fake_reply (self, req, QMI_ERR_MISSING_ARGUMENT, NULL);
			return;
		}
		if (value[0] == QMI_SERVICE_UIM_ID) {
			for (guint i = 0; i < self->uim_cids->len; i++) {
				if (g_array_index (self->uim_cids, guint8, i) == value[1]) {
					g_array_remove_index (self->uim_cids, i);
					found = TRUE;
					break;
				}
			}
			/* the modem forgets what the client had open */
			fake_close_client_channels (self, value[1]);
		} else {
			found = TRUE;
		}
		tlv_append (extra, 0x01, value, 2);
		fake_reply (self, req, found ? QMI_ERR_NONE : QMI_ERR_INVALID_CLIENT_ID, extra);
		return;
	}
	case CTL_SYNC:
		/* releases every client id: their channels go with them */
		fake_release_all_clients (self);
		fake_reply (self, req, QMI_ERR_NONE, NULL);
		return;
	default:
		fake_reply (self, req, QMI_ERR_INVALID_QMI_COMMAND, NULL);
		return;
	}
}

/* ------------------------------------------------------------------------ */
/* UIM service */

static gboolean
fake_uim_client_known (FakeQmiModem *self, guint8 cid)
{
	for (guint i = 0; i < self->uim_cids->len; i++) {
		if (g_array_index (self->uim_cids, guint8, i) == cid)
			return TRUE;
	}
	return FALSE;
}

/* The slot a UIM request addresses (TLV 0x01, logical), or NULL after
 * answering the request with an error. */
static FakeSlot *
fake_uim_request_slot (FakeQmiModem *self, const QmuxRequest *req, guint *physical_out)
{
	guint8 logical;
	guint physical;
	FakeSlot *slot;

	if (!tlv_find_u8 (req, 0x01, &logical)) {
		fake_reply (self, req, QMI_ERR_MISSING_ARGUMENT, NULL);
		return NULL;
	}
	physical = fake_physical_for_logical (self, logical);
	if (physical == 0) {
		fake_reply (self, req, QMI_ERR_INVALID_ARGUMENT, NULL);
		return NULL;
	}
	slot = &self->slots[physical - 1];
	if (slot->card == NULL || !slot->powered) {
		fake_reply (self, req, QMI_ERR_DEVICE_NOT_READY, NULL);
		return NULL;
	}
	if (physical_out != NULL)
		*physical_out = physical;
	return slot;
}

static void
fake_uim_get_slot_status (FakeQmiModem *self, const QmuxRequest *req)
{
	g_autoptr(GByteArray) extra = g_byte_array_new ();
	g_autoptr(GByteArray) status = g_byte_array_new ();
	g_autoptr(GByteArray) info = g_byte_array_new ();
	g_autoptr(GByteArray) eids = g_byte_array_new ();
	static const guint8 atr[] = { 0x3B, 0x9F, 0x96, 0x80, 0x1F, 0xC7, 0x80, 0x31, 0xE0 };
	guint8 n = FAKE_N_SLOTS;
	gboolean settling = self->switch_settling > 0;

	if (settling)
		self->switch_settling--;
	g_byte_array_append (status, &n, 1);
	g_byte_array_append (info, &n, 1);
	g_byte_array_append (eids, &n, 1);
	for (guint s = 0; s < FAKE_N_SLOTS; s++) {
		FakeSlot *slot = &self->slots[s];
		gboolean active = self->all_active || (self->active_slot == s + 1 && !settling);
		guint8 logical = active ? (self->all_active ? s + 1 : 1) : 0;
		guint8 zero = 0, one = 1, atr_len = sizeof (atr);

		put_u32 (status, slot->card != NULL ? 2 /* present */ : 1 /* absent */);
		put_u32 (status, active ? 1 : 0);
		g_byte_array_append (status, &logical, 1);
		g_byte_array_append (status, &zero, 1); /* no ICCID */

		put_u32 (info, slot->card != NULL ? 2 /* UICC */ : 0);
		g_byte_array_append (info, slot->card != NULL ? &one : &zero, 1);
		if (slot->card != NULL) {
			g_byte_array_append (info, &atr_len, 1);
			g_byte_array_append (info, atr, sizeof (atr));
		} else {
			g_byte_array_append (info, &zero, 1);
		}
		g_byte_array_append (info, slot->card != NULL ? &one : &zero, 1);

		if (slot->card != NULL) {
			const gchar *eid = esim_veuicc_get_eid (slot->card);
			guint8 bcd[16] = { 0 };
			guint8 bcd_len = MIN (strlen (eid) / 2, sizeof (bcd));

			for (guint i = 0; i < bcd_len; i++)
				bcd[i] = (g_ascii_digit_value (eid[2 * i]) << 4) |
					 g_ascii_digit_value (eid[2 * i + 1]);
			g_byte_array_append (eids, &bcd_len, 1);
			g_byte_array_append (eids, bcd, bcd_len);
		} else {
			g_byte_array_append (eids, &zero, 1);
		}
	}
	tlv_append (extra, 0x10, status->data, status->len);
	tlv_append (extra, 0x11, info->data, info->len);
	tlv_append (extra, 0x12, eids->data, eids->len);
	fake_reply (self, req, QMI_ERR_NONE, extra);
}

static void
fake_uim_switch_slot (FakeQmiModem *self, const QmuxRequest *req)
{
	const guint8 *value;
	gsize len;
	guint8 logical;
	guint32 physical;
	guint previous = self->active_slot;

	if (!tlv_find_u8 (req, 0x01, &logical) || !tlv_find (req, 0x02, &value, &len) || len != 4) {
		fake_reply (self, req, QMI_ERR_MISSING_ARGUMENT, NULL);
		return;
	}
	physical = value[0] | (value[1] << 8) | (value[2] << 16) | ((guint32) value[3] << 24);
	if (logical != 1 || physical < 1 || physical > FAKE_N_SLOTS) {
		fake_reply (self, req, QMI_ERR_INVALID_ARGUMENT, NULL);
		return;
	}
	if (self->all_active || physical == self->active_slot) {
		fake_reply (self, req, QMI_ERR_NO_EFFECT, NULL);
		return;
	}
	self->active_slot = physical;
	self->n_slot_switches++;
	self->switch_settling = self->switch_delay_polls;
	/* both cards see a power cycle */
	fake_reset_card (self, previous);
	fake_reset_card (self, physical);
	fake_reply (self, req, QMI_ERR_NONE, NULL);
}

static guint8
fake_select_p2 (const QmuxRequest *req)
{
	guint8 fci;

	if (!tlv_find_u8 (req, 0x11, &fci))
		return 0x00;
	switch (fci) {
	case 0: return 0x0C; /* no data */
	case 1: return 0x04; /* FCP */
	case 4: return 0x08; /* FMD */
	default: return 0x00; /* FCI */
	}
}

static void
fake_uim_open_channel (FakeQmiModem *self, const QmuxRequest *req)
{
	g_autoptr(GByteArray) extra = g_byte_array_new ();
	g_autoptr(GByteArray) fci = g_byte_array_new ();
	const guint8 *aid;
	gsize aid_len;
	FakeSlot *slot;
	guint16 sw;
	guint channel;
	guint8 sw_bytes[2];
	guint8 fci_len;

	if (self->open_channel_error != 0) {
		fake_reply (self, req, self->open_channel_error, NULL);
		return;
	}
	slot = fake_uim_request_slot (self, req, NULL);
	if (slot == NULL)
		return;
	if (!tlv_find (req, 0x10, &aid, &aid_len) || aid_len < 1 || aid[0] != aid_len - 1 ||
	    aid_len - 1 < 5 || aid_len - 1 > 16) {
		fake_reply (self, req, QMI_ERR_INVALID_ARGUMENT, NULL);
		return;
	}
	channel = fake_card_open_channel (slot, aid + 1, aid_len - 1, fake_select_p2 (req), fci, &sw);
	sw_bytes[0] = sw >> 8;
	sw_bytes[1] = sw & 0xFF;
	tlv_append (extra, 0x11, sw_bytes, sizeof (sw_bytes));
	if (channel == 0) {
		guint16 err = (sw == 0x6A81 || sw == 0x6881) ? QMI_ERR_INSUFFICIENT_RESOURCES
							    : QMI_ERR_SIM_FILE_NOT_FOUND;
		fake_reply (self, req, err, extra);
		return;
	}
	slot->owner[channel] = req->cid;
	tlv_append_u8 (extra, 0x10, channel);
	if (fci->len > 255)
		g_byte_array_set_size (fci, 255);
	fci_len = fci->len;
	g_byte_array_prepend (fci, &fci_len, 1);
	tlv_append (extra, 0x12, fci->data, fci->len);
	fake_reply (self, req, QMI_ERR_NONE, extra);
}

static void
fake_uim_close_channel (FakeQmiModem *self, const QmuxRequest *req)
{
	FakeSlot *slot = fake_uim_request_slot (self, req, NULL);
	guint8 channel;

	if (slot == NULL)
		return;
	if (!tlv_find_u8 (req, 0x11, &channel)) {
		fake_reply (self, req, QMI_ERR_MISSING_ARGUMENT, NULL);
		return;
	}
	if (channel == 0 || channel >= FAKE_N_CHANNELS || slot->owner[channel] == CHANNEL_CLOSED) {
		fake_reply (self, req, QMI_ERR_INVALID_ARGUMENT, NULL);
		return;
	}
	fake_close_card_channel (slot, channel);
	fake_reply (self, req, QMI_ERR_NONE, NULL);
}

/* EnableProfile (BF31) / DisableProfile (BF32) in the first STORE DATA block. */
static gboolean
apdu_starts_profile_switch (const guint8 *apdu, gsize len)
{
	return len >= 7 && apdu[1] == 0xE2 && apdu[3] == 0x00 && apdu[5] == 0xBF &&
	       (apdu[6] == 0x31 || apdu[6] == 0x32);
}

/* LoadEuiccPackage (BF51, SGP.32 v1.2 §5.9.1) in the first STORE DATA block: its
 * PSMOs may enable a profile. */
static gboolean
apdu_starts_euicc_package (const guint8 *apdu, gsize len)
{
	return len >= 7 && apdu[1] == 0xE2 && apdu[3] == 0x00 && apdu[5] == 0xBF && apdu[6] == 0x51;
}

/* The switch answered ok: BF3x 03 80 01 00 + 9000. */
static gboolean
response_is_switch_ok (GBytes *response)
{
	gsize len;
	const guint8 *p = g_bytes_get_data (response, &len);

	return len == 8 && p[0] == 0xBF && (p[1] == 0x31 || p[1] == 0x32) && p[2] == 0x03 &&
	       p[3] == 0x80 && p[4] == 0x01 && p[5] == 0x00 && p[6] == 0x90 && p[7] == 0x00;
}

static void
fake_uim_send_apdu (FakeQmiModem *self, const QmuxRequest *req)
{
	g_autoptr(GByteArray) extra = g_byte_array_new ();
	g_autoptr(GBytes) response = NULL;
	const guint8 *apdu;
	gsize apdu_len;
	guint8 channel = 0;
	guint physical = 0;
	FakeSlot *slot;
	gboolean reset_card = FALSE;

	slot = fake_uim_request_slot (self, req, &physical);
	if (slot == NULL)
		return;
	if (!tlv_find (req, 0x02, &apdu, &apdu_len) || apdu_len < 2 ||
	    (gsize) (apdu[0] | (apdu[1] << 8)) != apdu_len - 2 || apdu_len - 2 < 4) {
		fake_reply (self, req, QMI_ERR_INVALID_ARGUMENT, NULL);
		return;
	}
	apdu += 2;
	apdu_len -= 2;
	tlv_find_u8 (req, 0x10, &channel);
	if (channel >= FAKE_N_CHANNELS ||
	    (channel != 0 && slot->owner[channel] == CHANNEL_CLOSED) ||
	    channel_of_cla (apdu[0]) != channel) {
		/* unknown (e.g. reset) channel, or CLA not coding it */
		fake_reply (self, req, QMI_ERR_INVALID_ARGUMENT, NULL);
		return;
	}
	if (apdu_starts_profile_switch (apdu, apdu_len))
		slot->switch_pending[channel] = TRUE;
	if (apdu[1] == 0xE2 && apdu[3] == 0x00) {
		/* a new STORE DATA command: a package before it is over */
		slot->package_pending[channel] = apdu_starts_euicc_package (apdu, apdu_len);
		g_free (slot->package_enabled_before[channel]);
		slot->package_enabled_before[channel] = slot->package_pending[channel] ?
			g_strdup (esim_veuicc_get_enabled_iccid (slot->card)) : NULL;
	}
	response = card_apdu (slot->card, apdu, apdu_len);
	self->n_apdus++;
	if (slot->switch_pending[channel] && (response_sw (response) >> 8) != 0x61) {
		reset_card = self->reset_after_switch && response_is_switch_ok (response);
		slot->switch_pending[channel] = FALSE;
	}
	/* An enable PSMO switched the profile (SGP.32 v1.2 §5.9.1 ES10b.LoadEuiccPackage):
	 * as after ES10c.EnableProfile with refreshFlag (SGP.22 §5.7.16) the card
	 * REFRESHes (UICC reset, ETSI TS 102 223 §6.4.7) once it answered. */
	if (slot->package_pending[channel] && (response_sw (response) >> 8) != 0x61 &&
	    g_strcmp0 (esim_veuicc_get_enabled_iccid (slot->card),
	               slot->package_enabled_before[channel]) != 0) {
		reset_card = self->reset_after_switch;
		slot->package_pending[channel] = FALSE;
	}
	if (!self->malformed_apdu_response) {
		gsize len;
		const guint8 *data = g_bytes_get_data (response, &len);
		guint8 *value = g_malloc (len + 2);

		put_u16 (value, len);
		memcpy (value + 2, data, len);
		tlv_append (extra, 0x10, value, len + 2);
		g_free (value);
	}
	fake_reply (self, req, QMI_ERR_NONE, extra);

	if (self->forget_countdown > 0 && --self->forget_countdown == 0)
		fake_forget_clients (self, FALSE);
	/* the REFRESH after the answer: the card restarts, channels are gone */
	if (reset_card) {
		fake_reset_card (self, physical);
		if (self->reset_func != NULL)
			self->reset_func (self, physical, self->reset_func_data);
	}
}

static void
fake_uim_power (FakeQmiModem *self, const QmuxRequest *req, gboolean on)
{
	guint8 logical;
	guint physical;
	FakeSlot *slot;

	if (!tlv_find_u8 (req, 0x01, &logical)) {
		fake_reply (self, req, QMI_ERR_MISSING_ARGUMENT, NULL);
		return;
	}
	physical = fake_physical_for_logical (self, logical);
	if (physical == 0 || self->slots[physical - 1].card == NULL) {
		fake_reply (self, req, QMI_ERR_INVALID_ARGUMENT, NULL);
		return;
	}
	slot = &self->slots[physical - 1];
	if (slot->powered == on) {
		fake_reply (self, req, QMI_ERR_NO_EFFECT, NULL);
		return;
	}
	slot->powered = on;
	fake_slot_forget_channels (slot);
	if (on)
		fake_reset_card (self, physical);
	fake_reply (self, req, QMI_ERR_NONE, NULL);
	if (on && self->reset_func != NULL)
		self->reset_func (self, physical, self->reset_func_data);
}

static void
fake_handle_uim (FakeQmiModem *self, const QmuxRequest *req)
{
	/* an id the modem never gave out or has forgotten: refused before it
	 * reaches the card (libqmi QMI_PROTOCOL_ERROR_INVALID_CLIENT_ID, 7) */
	if (!fake_uim_client_known (self, req->cid)) {
		self->n_unknown_client++;
		fake_reply (self, req, QMI_ERR_INVALID_CLIENT_ID, NULL);
		return;
	}
	switch (req->msg_id) {
	case UIM_RESET:
		/* resets what the service keeps for this control point */
		fake_close_client_channels (self, req->cid);
		fake_reply (self, req, QMI_ERR_NONE, NULL);
		return;
	case UIM_GET_SLOT_STATUS:
		fake_uim_get_slot_status (self, req);
		return;
	case UIM_SWITCH_SLOT:
		fake_uim_switch_slot (self, req);
		return;
	case UIM_OPEN_CHANNEL:
		fake_uim_open_channel (self, req);
		return;
	case UIM_LOGICAL_CHANNEL:
		fake_uim_close_channel (self, req);
		return;
	case UIM_SEND_APDU:
		fake_uim_send_apdu (self, req);
		return;
	case UIM_POWER_OFF_SIM:
		fake_uim_power (self, req, FALSE);
		return;
	case UIM_POWER_ON_SIM:
		fake_uim_power (self, req, TRUE);
		return;
	default:
		fake_reply (self, req, QMI_ERR_INVALID_QMI_COMMAND, NULL);
		return;
	}
}

/* ------------------------------------------------------------------------ */
/* Input */

/* Parses one QMUX frame from the host; FALSE if it is malformed. */
static gboolean
qmux_parse (const guint8 *frame, gsize len, QmuxRequest *req)
{
	gsize sdu_hdr;
	gsize tlv_len;

	if (len < 6 || frame[0] != QMUX_MARKER || (frame[3] & QMUX_FLAG_FROM_SERVICE))
		return FALSE;
	req->service = frame[4];
	req->cid = frame[5];
	if (req->service == QMI_SERVICE_CTL_ID) {
		sdu_hdr = 6;
		if (len < 6 + sdu_hdr || frame[6] != 0x00)
			return FALSE;
		req->txn = frame[7];
		req->msg_id = frame[8] | (frame[9] << 8);
		tlv_len = frame[10] | (frame[11] << 8);
	} else {
		sdu_hdr = 7;
		if (len < 6 + sdu_hdr || frame[6] != 0x00)
			return FALSE;
		req->txn = frame[7] | (frame[8] << 8);
		req->msg_id = frame[9] | (frame[10] << 8);
		tlv_len = frame[11] | (frame[12] << 8);
	}
	if (6 + sdu_hdr + tlv_len != len)
		return FALSE;
	req->tlvs = frame + 6 + sdu_hdr;
	req->tlvs_len = tlv_len;
	return TRUE;
}

static void
fake_count_request (FakeQmiModem *self, guint16 msg_id)
{
	gpointer key = GUINT_TO_POINTER ((guint) msg_id);
	guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->n_requests, key));

	g_hash_table_insert (self->n_requests, key, GUINT_TO_POINTER (n + 1));
}

static void
fake_process_frame (FakeQmiModem *self, const guint8 *frame, gsize len)
{
	QmuxRequest req;

	if (!qmux_parse (frame, len, &req)) {
		g_warning ("fake QMI modem: malformed QMUX frame of %" G_GSIZE_FORMAT " bytes", len);
		return;
	}
	if (req.service == QMI_SERVICE_CTL_ID) {
		gpointer key = GUINT_TO_POINTER ((guint) req.msg_id);

		g_hash_table_insert (self->n_ctl_requests, key,
				     GUINT_TO_POINTER (GPOINTER_TO_UINT (
					     g_hash_table_lookup (self->n_ctl_requests, key)) + 1));
		fake_handle_ctl (self, &req);
		return;
	}
	if (req.service != QMI_SERVICE_UIM_ID) {
		fake_reply (self, &req, QMI_ERR_INVALID_QMI_COMMAND, NULL);
		return;
	}
	if (req.msg_id == UIM_SEND_APDU) {
		if (self->vanish_countdown > 0 && --self->vanish_countdown == 0) {
			fake_qmi_modem_vanish (self);
			return;
		}
		if (self->hold_apdus) {
			g_queue_push_tail (&self->held, g_bytes_new (frame, len));
			return;
		}
	}
	fake_count_request (self, req.msg_id);
	fake_handle_uim (self, &req);
}

static gboolean
fake_in_ready_cb (gint fd, GIOCondition condition, gpointer user_data)
{
	FakeQmiModem *self = user_data;
	guint8 buf[4096];
	gssize n;

	n = read (self->master_fd, buf, sizeof (buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	if (n <= 0) {
		/* cannot happen while we hold the slave open; stop rather than spin */
		g_debug ("pty master read failed: %s", n < 0 ? g_strerror (errno) : "EOF");
		g_clear_pointer (&self->in_source, g_source_unref);
		return G_SOURCE_REMOVE;
	}
	g_byte_array_append (self->in_buf, buf, n);
	while (self->in_buf->len > 0 && !self->gone) {
		gsize frame_len;
		g_autofree guint8 *frame = NULL;

		if (self->in_buf->data[0] != QMUX_MARKER) {
			g_warning ("fake QMI modem: framing lost, dropping %u bytes", self->in_buf->len);
			g_byte_array_set_size (self->in_buf, 0);
			break;
		}
		if (self->in_buf->len < 3)
			break;
		frame_len = 1 + (self->in_buf->data[1] | (self->in_buf->data[2] << 8));
		if (self->in_buf->len < frame_len)
			break;
		frame = g_memdup2 (self->in_buf->data, frame_len);
		g_byte_array_remove_range (self->in_buf, 0, frame_len);
		fake_process_frame (self, frame, frame_len);
	}
	return self->gone ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------------ */
/* Public API */

static gboolean
fake_open_pty (FakeQmiModem *self, GError **error)
{
	struct termios tio;
	char name[128];

	self->master_fd = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (self->master_fd < 0 || grantpt (self->master_fd) != 0 ||
	    unlockpt (self->master_fd) != 0 || ptsname_r (self->master_fd, name, sizeof (name)) != 0) {
		g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
			     "cannot create a pseudo-terminal: %s", g_strerror (errno));
		return FALSE;
	}
	self->slave_fd = open (name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (self->slave_fd < 0 || tcgetattr (self->slave_fd, &tio) != 0) {
		g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
			     "cannot open %s: %s", name, g_strerror (errno));
		return FALSE;
	}
	cfmakeraw (&tio);
	if (tcsetattr (self->slave_fd, TCSANOW, &tio) != 0 ||
	    !g_unix_set_fd_nonblocking (self->master_fd, TRUE, error)) {
		if (error != NULL && *error == NULL)
			g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
				     "cannot set up %s: %s", name, g_strerror (errno));
		return FALSE;
	}
	self->port = g_strdup (name);
	return TRUE;
}

static void
fake_watch_input (FakeQmiModem *self)
{
	self->in_source = g_unix_fd_source_new (self->master_fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
	g_source_set_callback (self->in_source, G_SOURCE_FUNC (fake_in_ready_cb), self, NULL);
	g_source_attach (self->in_source, self->context);
}

FakeQmiModem *
fake_qmi_modem_new (EsimVeuicc *slot1, EsimVeuicc *slot2, guint active_slot, GError **error)
{
	g_autoptr(FakeQmiModem) self = NULL;
	EsimVeuicc *cards[FAKE_N_SLOTS] = { slot1, slot2 };

	g_return_val_if_fail (slot1 != NULL || slot2 != NULL, NULL);
	g_return_val_if_fail (active_slot >= 1 && active_slot <= FAKE_N_SLOTS, NULL);

	self = g_new0 (FakeQmiModem, 1);
	self->master_fd = -1;
	self->slave_fd = -1;
	self->context = g_main_context_ref_thread_default ();
	self->in_buf = g_byte_array_new ();
	self->out_buf = g_byte_array_new ();
	self->uim_cids = g_array_new (FALSE, FALSE, sizeof (guint8));
	self->n_requests = g_hash_table_new (g_direct_hash, g_direct_equal);
	self->n_ctl_requests = g_hash_table_new (g_direct_hash, g_direct_equal);
	self->active_slot = active_slot;
	self->next_cid = 1;
	g_queue_init (&self->held);
	for (guint s = 0; s < FAKE_N_SLOTS; s++) {
		self->slots[s].card = cards[s] != NULL ? g_object_ref (cards[s]) : NULL;
		self->slots[s].powered = TRUE;
		fake_slot_forget_channels (&self->slots[s]);
	}
	if (!fake_open_pty (self, error))
		return NULL;
	fake_watch_input (self);
	return g_steal_pointer (&self);
}

static void
fake_close_fds (FakeQmiModem *self)
{
	if (self->in_source != NULL) {
		g_source_destroy (self->in_source);
		g_clear_pointer (&self->in_source, g_source_unref);
	}
	if (self->out_source != NULL) {
		g_source_destroy (self->out_source);
		g_clear_pointer (&self->out_source, g_source_unref);
	}
	if (self->master_fd >= 0)
		close (self->master_fd);
	if (self->slave_fd >= 0)
		close (self->slave_fd);
	self->master_fd = -1;
	self->slave_fd = -1;
}

void
fake_qmi_modem_free (FakeQmiModem *self)
{
	if (self == NULL)
		return;
	fake_close_fds (self);
	for (guint s = 0; s < FAKE_N_SLOTS; s++)
		g_clear_object (&self->slots[s].card);
	g_queue_clear_full (&self->held, (GDestroyNotify) g_bytes_unref);
	g_byte_array_unref (self->in_buf);
	g_byte_array_unref (self->out_buf);
	g_array_unref (self->uim_cids);
	g_hash_table_unref (self->n_requests);
	g_hash_table_unref (self->n_ctl_requests);
	g_main_context_unref (self->context);
	if (self->link != NULL)
		g_unlink (self->link);
	if (self->link_dir != NULL)
		g_rmdir (self->link_dir);
	for (guint s = 0; s < FAKE_N_SLOTS; s++)
		for (guint i = 0; i < FAKE_N_CHANNELS; i++)
			g_free (self->slots[s].package_enabled_before[i]);
	g_free (self->link);
	g_free (self->link_dir);
	g_free (self->port);
	g_free (self);
}

const gchar *
fake_qmi_modem_get_port (FakeQmiModem *self)
{
	g_return_val_if_fail (self != NULL, NULL);
	return self->port;
}

void
fake_qmi_modem_set_open_channel_error (FakeQmiModem *self, guint qmi_error)
{
	g_return_if_fail (self != NULL);
	self->open_channel_error = qmi_error;
}

void
fake_qmi_modem_set_all_slots_active (FakeQmiModem *self, gboolean all_active)
{
	g_return_if_fail (self != NULL);
	self->all_active = all_active;
}

void
fake_qmi_modem_set_slot_switch_delay (FakeQmiModem *self, guint n_polls)
{
	g_return_if_fail (self != NULL);
	self->switch_delay_polls = n_polls;
}

void
fake_qmi_modem_set_reset_after_switch (FakeQmiModem *self, gboolean reset)
{
	g_return_if_fail (self != NULL);
	self->reset_after_switch = reset;
}

void
fake_qmi_modem_set_card_reset_func (FakeQmiModem *self, FakeQmiModemCardResetFunc func,
				    gpointer user_data)
{
	g_return_if_fail (self != NULL);
	self->reset_func = func;
	self->reset_func_data = user_data;
}

void
fake_qmi_modem_vanish_after_apdus (FakeQmiModem *self, guint n)
{
	g_return_if_fail (self != NULL);
	self->vanish_countdown = n;
}

void
fake_qmi_modem_vanish (FakeQmiModem *self)
{
	g_return_if_fail (self != NULL);
	if (self->gone)
		return;
	g_debug ("fake QMI modem %s: port gone", self->port);
	self->gone = TRUE;
	g_byte_array_set_size (self->out_buf, 0);
	fake_close_fds (self);
}

void
fake_qmi_modem_set_hold_apdus (FakeQmiModem *self, gboolean hold)
{
	g_return_if_fail (self != NULL);
	self->hold_apdus = hold;
	while (!hold && !self->gone && !g_queue_is_empty (&self->held)) {
		g_autoptr(GBytes) frame = g_queue_pop_head (&self->held);
		gsize len;
		const guint8 *data = g_bytes_get_data (frame, &len);

		fake_process_frame (self, data, len);
	}
}

guint
fake_qmi_modem_get_n_held_apdus (FakeQmiModem *self)
{
	g_return_val_if_fail (self != NULL, 0);
	return g_queue_get_length (&self->held);
}

void
fake_qmi_modem_set_malformed_apdu_response (FakeQmiModem *self, gboolean malformed)
{
	g_return_if_fail (self != NULL);
	self->malformed_apdu_response = malformed;
}

guint
fake_qmi_modem_add_stale_channel (FakeQmiModem *self, guint physical_slot, gboolean qmi_client)
{
	g_autoptr(GByteArray) fci = g_byte_array_new ();
	FakeSlot *slot;
	guint16 sw;
	guint channel;

	g_return_val_if_fail (self != NULL, 0);
	g_return_val_if_fail (physical_slot >= 1 && physical_slot <= FAKE_N_SLOTS, 0);
	slot = &self->slots[physical_slot - 1];
	g_return_val_if_fail (slot->card != NULL, 0);

	channel = fake_card_open_channel (slot, isdr_aid, sizeof (isdr_aid), 0x00, fci, &sw);
	if (channel == 0)
		return 0;
	if (qmi_client) {
		/* a client id the crashed process never released */
		guint8 cid = self->next_cid++;

		g_array_append_val (self->uim_cids, cid);
		slot->owner[channel] = cid;
	} else {
		slot->owner[channel] = OWNER_OUTSIDE_QMI;
	}
	return channel;
}

guint
fake_qmi_modem_get_n_apdus (FakeQmiModem *self)
{
	g_return_val_if_fail (self != NULL, 0);
	return self->n_apdus;
}

guint
fake_qmi_modem_get_n_open_channels (FakeQmiModem *self)
{
	guint n = 0;

	g_return_val_if_fail (self != NULL, 0);
	for (guint s = 0; s < FAKE_N_SLOTS; s++) {
		for (guint ch = 1; ch < FAKE_N_CHANNELS; ch++) {
			if (self->slots[s].owner[ch] != CHANNEL_CLOSED)
				n++;
		}
	}
	return n;
}

guint
fake_qmi_modem_get_n_uim_clients (FakeQmiModem *self)
{
	g_return_val_if_fail (self != NULL, 0);
	return self->uim_cids->len;
}

guint
fake_qmi_modem_get_n_card_resets (FakeQmiModem *self)
{
	g_return_val_if_fail (self != NULL, 0);
	return self->n_card_resets;
}

guint
fake_qmi_modem_get_n_slot_switches (FakeQmiModem *self)
{
	g_return_val_if_fail (self != NULL, 0);
	return self->n_slot_switches;
}

guint
fake_qmi_modem_get_active_slot (FakeQmiModem *self)
{
	g_return_val_if_fail (self != NULL, 0);
	return self->active_slot;
}

guint
fake_qmi_modem_get_n_requests (FakeQmiModem *self, guint16 message_id)
{
	g_return_val_if_fail (self != NULL, 0);
	return GPOINTER_TO_UINT (g_hash_table_lookup (self->n_requests,
						      GUINT_TO_POINTER ((guint) message_id)));
}

gboolean
fake_qmi_modem_is_gone (FakeQmiModem *self)
{
	g_return_val_if_fail (self != NULL, TRUE);
	return self->gone;
}

void
fake_qmi_modem_forget_clients (FakeQmiModem *self, gboolean sync_indication)
{
	g_return_if_fail (self != NULL);
	fake_forget_clients (self, sync_indication);
}

void
fake_qmi_modem_forget_clients_after_apdus (FakeQmiModem *self, guint n)
{
	g_return_if_fail (self != NULL);
	self->forget_countdown = n;
}

/* Points @self->link at the current pty, atomically (rename over the old link). */
static gboolean
fake_update_link (FakeQmiModem *self, GError **error)
{
	g_autofree gchar *tmp = g_strconcat (self->link, ".new", NULL);

	g_unlink (tmp);
	if (symlink (self->port, tmp) != 0 || g_rename (tmp, self->link) != 0) {
		g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
			     "cannot link %s to %s: %s", self->link, self->port, g_strerror (errno));
		g_unlink (tmp);
		return FALSE;
	}
	return TRUE;
}

const gchar *
fake_qmi_modem_get_link (FakeQmiModem *self, GError **error)
{
	g_return_val_if_fail (self != NULL, NULL);
	if (self->link != NULL)
		return self->link;
	self->link_dir = g_dir_make_tmp ("esimd-fake-qmi-XXXXXX", error);
	if (self->link_dir == NULL)
		return NULL;
	/* a tty name: the backend opens it in plain QMUX mode, as it does the pty */
	self->link = g_build_filename (self->link_dir, "ttyQMI0", NULL);
	if (!fake_update_link (self, error)) {
		g_clear_pointer (&self->link, g_free);
		return NULL;
	}
	return self->link;
}

gboolean
fake_qmi_modem_restart (FakeQmiModem *self, GError **error)
{
	g_return_val_if_fail (self != NULL, FALSE);
	g_return_val_if_fail (!self->gone, FALSE);

	g_debug ("fake QMI modem %s: restarting its QMI port", self->port);
	fake_release_all_clients (self);
	/* whoever has the old pty open sees it hang up */
	fake_close_fds (self);
	g_byte_array_set_size (self->in_buf, 0);
	g_byte_array_set_size (self->out_buf, 0);
	g_queue_clear_full (&self->held, (GDestroyNotify) g_bytes_unref);
	g_clear_pointer (&self->port, g_free);
	if (!fake_open_pty (self, error))
		return FALSE;
	fake_watch_input (self);
	return self->link == NULL || fake_update_link (self, error);
}

guint
fake_qmi_modem_get_n_ctl_requests (FakeQmiModem *self, guint16 message_id)
{
	g_return_val_if_fail (self != NULL, 0);
	return GPOINTER_TO_UINT (g_hash_table_lookup (self->n_ctl_requests,
						      GUINT_TO_POINTER ((guint) message_id)));
}

guint
fake_qmi_modem_get_n_unknown_client (FakeQmiModem *self)
{
	g_return_val_if_fail (self != NULL, 0);
	return self->n_unknown_client;
}
