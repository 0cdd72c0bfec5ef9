/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fake MBIM modem (see fake-mbim-modem.h).
 *
 * Wire format notes, checked against libmbim 1.28's own encoders/parsers:
 * every message starts with type, length and transaction id (LE u32);
 * COMMAND and COMMAND_DONE add a fragment header (total, current) and then
 * service UUID, CID, command type or status, information buffer length and
 * the buffer.  In MS UICC low-level access the variable fields are described
 * by (size, offset) pairs; everywhere else by (offset, size) pairs.
 *
 * The Status field of Open Channel, Close Channel and APDU answers (a guint32,
 * libmbim:data/mbim-service-ms-uicc-low-level-access.json) carries the card's
 * status word with SW1 in the low byte and SW2 in the next, as the clients
 * that run on real MBIM modems read it: ModemManager:src/mm-sim-mbim.c
 * (UICC_STATUS_OK 144 for Open and Close Channel), ChromeOS Hermes
 * hermes/modem_mbim.cc (kMbimMessageSuccess 144; APDU status split as
 * status & 0xFF, (status >> 8) & 0xFF) and lpac driver/apdu/mbim.c
 * (copy_data_with_status).  So 90 00 goes out as 0x00000090: the bytes
 * 90 00 00 00.
 *
 * A function that is not opened (before the host's OPEN, or after the
 * function restarted and forgot it) answers every command with a
 * FUNCTION_ERROR carrying NotOpened and the command's transaction id
 * (MBIM 1.0, MBIM_FUNCTION_ERROR_MSG / MBIM_ERROR_NOT_OPENED; libmbim's
 * mbim-proxy answers its clients the same way once it found its device
 * closed: libmbim:src/libmbim-glib/mbim-proxy.c device_command_ready()).
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <glib-unix.h>
#include <libmbim-glib.h>

#include "fake-mbim-modem.h"

#define MSG_HEADER_LEN       12
#define FRAGMENT_HEADER_LEN  8
#define COMMAND_HEADER_LEN   (MSG_HEADER_LEN + FRAGMENT_HEADER_LEN + 16 + 4 + 4 + 4)
#define MAX_MESSAGE_LEN      65536
#define DEFAULT_MAX_TRANSFER 4096

#define CID_BASIC_DEVICE_CAPS            1
#define CID_BASIC_SUBSCRIBER_READY       2
#define CID_BASIC_DEVICE_SERVICES        16
#define CID_BASIC_SUBSCRIBE_LIST         19
#define CID_EXT_DEVICE_SLOT_MAPPINGS     7
#define CID_UICC_OPEN_CHANNEL            2
#define CID_UICC_CLOSE_CHANNEL           3
#define CID_UICC_APDU                    4
#define CID_UICC_RESET                   6

#define COMMAND_TYPE_QUERY 0
#define COMMAND_TYPE_SET   1

#define INS_GET_RESPONSE 0xC0
#define INS_STORE_DATA   0xE2

typedef struct {
	guint32     channel;         /* the card's logical channel number */
	guint32     group;
	gboolean    switch_request;  /* an EnableProfile/DisableProfile is running on it */
	GByteArray *answer;          /* its response, collected across GET RESPONSE */
} FakeChannel;

struct _FakeMbimModem {
	GMainContext *context;
	gint          master_fd;
	gint          slave_fd;      /* ours: keeps the master from seeing hangups between clients */
	gchar        *port;
	GSource      *read_source;
	GSource      *write_source;
	GByteArray   *in;
	GByteArray   *out;
	GByteArray   *fragments;     /* a fragmented COMMAND being reassembled */
	guint32       fragments_expected;
	gboolean      plugged;
	gboolean      session_open;
	guint32       max_transfer;
	guint         max_fragment;

	EsimVeuicc   *cards[2];
	guint         active;        /* 0-based slot index */
	GPtrArray    *channels;      /* FakeChannel * */
	gint64        ready_at;      /* monotonic time from which the card answers */
	guint         ready_delay_ms;

	gboolean      require_extended;
	gint          require_select_p2;
	gboolean      require_le;
	FakeMbimSlotMapping slot_mapping;
	guint32       refuse_status;
	gboolean      hold;
	GQueue        held;          /* MbimMessage * */
	gboolean      unplug_on_apdu;
	gboolean      reset_after_switch;
	gint          close_function_after; /* APDUs to answer before the function closes; -1 never */

	guint         n_apdus;
	guint         n_resets;
	guint         n_slot_switches;
	guint         n_fragmented;
	guint         n_opens;
	guint         n_not_opened;
	guint32       last_group;
	gint          last_select_p2;
};

static void fake_flush (FakeMbimModem *self);
static void fake_handle_command (FakeMbimModem *self, MbimMessage *message);

/* ------------------------------------------------------------------------ */
/* little-endian helpers */

static void
put_u32 (GByteArray *array, guint32 value)
{
	guint32 le = GUINT32_TO_LE (value);

	g_byte_array_append (array, (const guint8 *) &le, 4);
}

static void
set_u32 (GByteArray *array, guint offset, guint32 value)
{
	guint32 le = GUINT32_TO_LE (value);

	memcpy (array->data + offset, &le, 4);
}

static void
pad4 (GByteArray *array)
{
	static const guint8 zeros[3] = { 0 };

	if (array->len % 4 != 0)
		g_byte_array_append (array, zeros, 4 - array->len % 4);
}

/* The Status field of MS UICC low-level access answers for @sw (0xSW1SW2):
 * SW1 in the low byte, SW2 in the next (see the top of this file). */
static guint32
status_field (guint16 sw)
{
	return (guint32) (sw >> 8) | ((guint32) (sw & 0xFF) << 8);
}

static gboolean
get_u32 (const guint8 *buf, gsize len, gsize offset, guint32 *out)
{
	guint32 le;

	if (offset + 4 > len)
		return FALSE;
	memcpy (&le, buf + offset, 4);
	*out = GUINT32_FROM_LE (le);
	return TRUE;
}

/* A byte array described at @offset by (size, offset) when @swapped, else
 * (offset, size); bounds-checked against the information buffer. */
static gboolean
get_bytes (const guint8 *buf, gsize len, gsize offset, gboolean swapped, const guint8 **data,
           guint32 *size)
{
	guint32 first = 0, second = 0, data_offset;

	if (!get_u32 (buf, len, offset, &first) || !get_u32 (buf, len, offset + 4, &second))
		return FALSE;
	*size = swapped ? first : second;
	data_offset = swapped ? second : first;
	if ((guint64) data_offset + *size > len)
		return FALSE;
	*data = buf + data_offset;
	return TRUE;
}

/* ------------------------------------------------------------------------ */
/* the port */

static void
close_fd (gint *fd)
{
	if (*fd >= 0)
		close (*fd);
	*fd = -1;
}

static gboolean
fake_write_ready (gint fd, GIOCondition condition, gpointer user_data)
{
	FakeMbimModem *self = user_data;

	g_clear_pointer (&self->write_source, g_source_destroy);
	fake_flush (self);
	return G_SOURCE_REMOVE;
}

static void
fake_flush (FakeMbimModem *self)
{
	while (self->plugged && self->out->len > 0) {
		gssize written = write (self->master_fd, self->out->data, self->out->len);

		if (written < 0 && errno == EINTR)
			continue;
		if (written < 0 && errno == EAGAIN) {
			if (self->write_source == NULL) {
				self->write_source = g_unix_fd_source_new (self->master_fd, G_IO_OUT);
				g_source_set_callback (self->write_source, G_SOURCE_FUNC (fake_write_ready),
				                       self, NULL);
				g_source_attach (self->write_source, self->context);
				g_source_unref (self->write_source);
			}
			return;
		}
		if (written <= 0) {
			g_debug ("fake MBIM modem: write failed: %s", g_strerror (errno));
			g_byte_array_set_size (self->out, 0);
			return;
		}
		g_byte_array_remove_range (self->out, 0, (guint) written);
	}
}

static void
fake_send_raw (FakeMbimModem *self, const guint8 *data, gsize len)
{
	if (!self->plugged)
		return;
	g_byte_array_append (self->out, data, len);
	fake_flush (self);
}

static void
fake_send_message (FakeMbimModem *self, MbimMessage *message)
{
	guint32 len = 0;
	const guint8 *raw = mbim_message_get_raw (message, &len, NULL);

	fake_send_raw (self, raw, len);
}

/* COMMAND_DONE, split into fragments when larger than the transfer size. */
static void
fake_send_done (FakeMbimModem *self, guint32 tid, MbimService service, guint32 cid,
                guint32 status, const guint8 *info, gsize info_len)
{
	g_autoptr(GByteArray) payload = g_byte_array_new ();
	guint fragment_size = self->max_fragment > 0 ? self->max_fragment : self->max_transfer;
	guint chunk_max = fragment_size - MSG_HEADER_LEN - FRAGMENT_HEADER_LEN;
	guint n_fragments;

	g_byte_array_append (payload, (const guint8 *) mbim_uuid_from_service (service), 16);
	put_u32 (payload, cid);
	put_u32 (payload, status);
	put_u32 (payload, (guint32) info_len);
	if (info_len > 0)
		g_byte_array_append (payload, info, info_len);
	n_fragments = (payload->len + chunk_max - 1) / chunk_max;
	if (n_fragments > 1)
		self->n_fragmented++;
	for (guint i = 0; i < n_fragments; i++) {
		g_autoptr(GByteArray) fragment = g_byte_array_new ();
		guint offset = i * chunk_max;
		guint chunk = MIN (chunk_max, payload->len - offset);

		put_u32 (fragment, MBIM_MESSAGE_TYPE_COMMAND_DONE);
		put_u32 (fragment, MSG_HEADER_LEN + FRAGMENT_HEADER_LEN + chunk);
		put_u32 (fragment, tid);
		put_u32 (fragment, n_fragments);
		put_u32 (fragment, i);
		g_byte_array_append (fragment, payload->data + offset, chunk);
		fake_send_raw (self, fragment->data, fragment->len);
	}
}

static void
fake_send_status (FakeMbimModem *self, MbimMessage *request, guint32 status)
{
	fake_send_done (self, mbim_message_get_transaction_id (request),
	                mbim_message_command_get_service (request),
	                mbim_message_command_get_cid (request), status, NULL, 0);
}

static void
fake_send_info (FakeMbimModem *self, MbimMessage *request, GByteArray *info)
{
	fake_send_done (self, mbim_message_get_transaction_id (request),
	                mbim_message_command_get_service (request),
	                mbim_message_command_get_cid (request), MBIM_STATUS_ERROR_NONE,
	                info->data, info->len);
}

/* Reassembles fragmented COMMANDs; returns the complete message or NULL. */
static MbimMessage *
fake_collect_command (FakeMbimModem *self, const guint8 *raw, guint32 len)
{
	guint32 total = 0, current = 0;

	if (!get_u32 (raw, len, 12, &total) || !get_u32 (raw, len, 16, &current) || total == 0)
		return NULL;
	if (total == 1)
		return mbim_message_new (raw, len);
	if (current == 0) {
		g_clear_pointer (&self->fragments, g_byte_array_unref);
		self->fragments = g_byte_array_new ();
		g_byte_array_append (self->fragments, raw, len);
		self->fragments_expected = 1;
		return NULL;
	}
	if (self->fragments == NULL || current != self->fragments_expected)
		return NULL;
	g_byte_array_append (self->fragments, raw + MSG_HEADER_LEN + FRAGMENT_HEADER_LEN,
	                     len - MSG_HEADER_LEN - FRAGMENT_HEADER_LEN);
	self->fragments_expected++;
	if (current + 1 < total)
		return NULL;
	{
		g_autoptr(GByteArray) whole = g_steal_pointer (&self->fragments);

		set_u32 (whole, 4, whole->len);
		set_u32 (whole, 12, 1);
		set_u32 (whole, 16, 0);
		return mbim_message_new (whole->data, whole->len);
	}
}

static void
fake_handle_message (FakeMbimModem *self, const guint8 *raw, guint32 len)
{
	guint32 type = 0, tid = 0;
	g_autoptr(MbimMessage) message = NULL;

	get_u32 (raw, len, 0, &type);
	get_u32 (raw, len, 8, &tid);
	switch (type) {
	case MBIM_MESSAGE_TYPE_OPEN: {
		g_autoptr(MbimMessage) done = NULL;

		message = mbim_message_new (raw, len);
		self->max_transfer = mbim_message_open_get_max_control_transfer (message);
		if (self->max_transfer < 64 || self->max_transfer > MAX_MESSAGE_LEN)
			self->max_transfer = DEFAULT_MAX_TRANSFER;
		self->session_open = TRUE;
		self->n_opens++;
		g_debug ("fake MBIM modem: OPEN (%u so far)", self->n_opens);
		done = mbim_message_open_done_new (tid, MBIM_STATUS_ERROR_NONE);
		fake_send_message (self, done);
		return;
	}
	case MBIM_MESSAGE_TYPE_CLOSE: {
		g_autoptr(MbimMessage) done = mbim_message_close_done_new (tid, MBIM_STATUS_ERROR_NONE);

		self->session_open = FALSE;
		fake_send_message (self, done);
		return;
	}
	case MBIM_MESSAGE_TYPE_COMMAND:
		if (len < MSG_HEADER_LEN + FRAGMENT_HEADER_LEN)
			return;
		message = fake_collect_command (self, raw, len);
		if (message == NULL)
			return;
		if (mbim_message_get_message_length (message) < COMMAND_HEADER_LEN ||
		    !mbim_message_validate (message, NULL)) {
			g_debug ("fake MBIM modem: dropping an invalid COMMAND");
			return;
		}
		if (!self->session_open) {
			g_autoptr(MbimMessage) refused = NULL;

			g_debug ("fake MBIM modem: COMMAND while not opened: NotOpened");
			self->n_not_opened++;
			refused = mbim_message_function_error_new (tid, MBIM_PROTOCOL_ERROR_NOT_OPENED);
			fake_send_message (self, refused);
			return;
		}
		fake_handle_command (self, message);
		return;
	default:
		g_debug ("fake MBIM modem: ignoring message type 0x%08X", type);
		return;
	}
}

static gboolean
fake_read_ready (gint fd, GIOCondition condition, gpointer user_data)
{
	FakeMbimModem *self = user_data;
	guint8 buf[4096];
	gssize n;

	n = read (self->master_fd, buf, sizeof (buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	if (n <= 0) {
		g_debug ("fake MBIM modem: read failed: %s", n < 0 ? g_strerror (errno) : "EOF");
		return G_SOURCE_CONTINUE;
	}
	g_byte_array_append (self->in, buf, (guint) n);
	while (self->plugged && self->in->len >= MSG_HEADER_LEN) {
		guint32 len = 0;

		get_u32 (self->in->data, self->in->len, 4, &len);
		if (len < MSG_HEADER_LEN || len > MAX_MESSAGE_LEN) {
			g_debug ("fake MBIM modem: dropping %u bytes of garbage", self->in->len);
			g_byte_array_set_size (self->in, 0);
			break;
		}
		if (self->in->len < len)
			break;
		fake_handle_message (self, self->in->data, len);
		if (self->plugged)
			g_byte_array_remove_range (self->in, 0, len);
	}
	return self->plugged ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean
fake_open_pty (FakeMbimModem *self, GError **error)
{
	struct termios tio;
	gchar name[128];

	self->master_fd = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (self->master_fd < 0 || grantpt (self->master_fd) != 0 ||
	    unlockpt (self->master_fd) != 0 || ptsname_r (self->master_fd, name, sizeof (name)) != 0) {
		g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
		             "cannot create a pseudo-terminal: %s", g_strerror (errno));
		return FALSE;
	}
	self->port = g_strdup (name);
	self->slave_fd = open (self->port, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (self->slave_fd < 0 || tcgetattr (self->slave_fd, &tio) != 0) {
		g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
		             "cannot open %s: %s", self->port, g_strerror (errno));
		return FALSE;
	}
	/* binary MBIM: no echo, no line discipline */
	cfmakeraw (&tio);
	if (tcsetattr (self->slave_fd, TCSANOW, &tio) != 0 ||
	    !g_unix_set_fd_nonblocking (self->master_fd, TRUE, error)) {
		if (error != NULL && *error == NULL)
			g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
			             "cannot set up %s: %s", self->port, g_strerror (errno));
		return FALSE;
	}
	self->read_source = g_unix_fd_source_new (self->master_fd, G_IO_IN);
	g_source_set_callback (self->read_source, G_SOURCE_FUNC (fake_read_ready), self, NULL);
	g_source_attach (self->read_source, self->context);
	self->plugged = TRUE;
	return TRUE;
}

/* ------------------------------------------------------------------------ */
/* the card */

static void
fake_channel_free (FakeChannel *channel)
{
	g_byte_array_unref (channel->answer);
	g_free (channel);
}

static FakeChannel *
fake_find_channel (FakeMbimModem *self, guint32 number)
{
	for (guint i = 0; i < self->channels->len; i++) {
		FakeChannel *channel = g_ptr_array_index (self->channels, i);

		if (channel->channel == number)
			return channel;
	}
	return NULL;
}

static EsimVeuicc *
fake_card (FakeMbimModem *self)
{
	return self->cards[self->active];
}

static gboolean
fake_card_ready (FakeMbimModem *self)
{
	return fake_card (self) != NULL && g_get_monotonic_time () >= self->ready_at;
}

/* Sends @apdu to the active card; returns the data and sets @sw. */
static GBytes *
fake_card_apdu (FakeMbimModem *self, const guint8 *apdu, gsize len, guint16 *sw)
{
	g_autoptr(GBytes) command = g_bytes_new (apdu, len);
	g_autoptr(GBytes) response = esim_veuicc_process_apdu (fake_card (self), command);
	gsize response_len = 0;
	const guint8 *raw = g_bytes_get_data (response, &response_len);

	g_assert (response_len >= 2);
	*sw = (guint16) ((raw[response_len - 2] << 8) | raw[response_len - 1]);
	return g_bytes_new_from_bytes (response, 0, response_len - 2);
}

static void
fake_card_restart (FakeMbimModem *self)
{
	if (fake_card (self) != NULL)
		esim_veuicc_reset (fake_card (self));
	g_ptr_array_set_size (self->channels, 0);
	self->ready_at = g_get_monotonic_time () + (gint64) self->ready_delay_ms * 1000;
}

void
fake_mbim_modem_reset_card (FakeMbimModem *self)
{
	g_return_if_fail (self != NULL);
	g_debug ("fake MBIM modem: card reset");
	self->n_resets++;
	fake_card_restart (self);
}

/* MANAGE CHANNEL open, then SELECT with @p2; the FCI is fetched as a modem
 * does.  Returns the channel (0 on failure) and the SELECT status word. */
static guint32
fake_card_open_channel (FakeMbimModem *self, const guint8 *aid, guint32 aid_len, guint8 p2,
                        guint16 *sw, GByteArray *fci)
{
	static const guint8 manage_open[] = { 0x00, 0x70, 0x00, 0x00, 0x01 };
	g_autoptr(GBytes) opened = NULL;
	g_autoptr(GByteArray) select = g_byte_array_new ();
	guint32 channel;

	opened = fake_card_apdu (self, manage_open, sizeof (manage_open), sw);
	if (*sw != 0x9000 || g_bytes_get_size (opened) != 1)
		return 0;
	channel = ((const guint8 *) g_bytes_get_data (opened, NULL))[0];
	g_byte_array_append (select, (const guint8 *) "\x00\xA4\x04", 3);
	select->data[0] = (guint8) channel;
	g_byte_array_append (select, &p2, 1);
	g_byte_array_append (select, (const guint8 *) &(guint8){ (guint8) aid_len }, 1);
	g_byte_array_append (select, aid, aid_len);
	while (TRUE) {
		g_autoptr(GBytes) data = fake_card_apdu (self, select->data, select->len, sw);

		g_byte_array_append (fci, g_bytes_get_data (data, NULL), g_bytes_get_size (data));
		if ((*sw & 0xFF00) != 0x6100)
			break;
		/* GET RESPONSE for the rest of the FCI */
		g_byte_array_set_size (select, 0);
		g_byte_array_append (select, (const guint8 *) "\x00\xC0\x00\x00", 4);
		select->data[0] = (guint8) channel;
		g_byte_array_append (select, (const guint8 *) &(guint8){ (guint8) (*sw & 0xFF) }, 1);
	}
	if (*sw != 0x9000) {
		guint8 close_cmd[] = { 0x00, 0x70, 0x80, (guint8) channel };
		guint16 ignored = 0;

		g_bytes_unref (fake_card_apdu (self, close_cmd, sizeof (close_cmd), &ignored));
		return 0;
	}
	return channel;
}

static void
fake_card_close_channel (FakeMbimModem *self, FakeChannel *channel)
{
	guint8 close_cmd[] = { 0x00, 0x70, 0x80, (guint8) channel->channel };
	guint16 sw = 0;

	g_bytes_unref (fake_card_apdu (self, close_cmd, sizeof (close_cmd), &sw));
	g_ptr_array_remove (self->channels, channel);
}

/* ------------------------------------------------------------------------ */
/* MS UICC low-level access */

static void
fake_uicc_open_channel (FakeMbimModem *self, MbimMessage *request, const guint8 *info,
                        guint32 info_len)
{
	g_autoptr(GByteArray) fci = g_byte_array_new ();
	g_autoptr(GByteArray) answer = g_byte_array_new ();
	const guint8 *aid = NULL;
	guint32 aid_len = 0, p2 = 0, group = 0, channel;
	guint16 sw = 0;
	FakeChannel *entry;

	if (!get_bytes (info, info_len, 0, TRUE, &aid, &aid_len) ||
	    !get_u32 (info, info_len, 8, &p2) || !get_u32 (info, info_len, 12, &group) ||
	    aid_len == 0 || aid_len > 16 || p2 > 0xFF) {
		fake_send_status (self, request, MBIM_STATUS_ERROR_INVALID_PARAMETERS);
		return;
	}
	self->last_group = group;
	self->last_select_p2 = (gint) p2;
	if (self->refuse_status != 0) {
		fake_send_status (self, request, self->refuse_status);
		return;
	}
	if (!fake_card_ready (self)) {
		fake_send_status (self, request, fake_card (self) == NULL ?
		                  MBIM_STATUS_ERROR_SIM_NOT_INSERTED : MBIM_STATUS_ERROR_NOT_INITIALIZED);
		return;
	}
	if (self->require_select_p2 >= 0 && (gint) p2 != self->require_select_p2) {
		fake_send_status (self, request, FAKE_MBIM_STATUS_SELECT_FAILED);
		return;
	}
	channel = fake_card_open_channel (self, aid, aid_len, (guint8) p2, &sw, fci);
	if (channel == 0) {
		fake_send_status (self, request, sw == 0x6A81 || sw == 0x6881 ?
		                  FAKE_MBIM_STATUS_NO_LOGICAL_CHANNELS : FAKE_MBIM_STATUS_SELECT_FAILED);
		return;
	}
	entry = g_new0 (FakeChannel, 1);
	entry->channel = channel;
	entry->group = group;
	entry->answer = g_byte_array_new ();
	g_ptr_array_add (self->channels, entry);
	put_u32 (answer, status_field (sw));
	put_u32 (answer, channel);
	put_u32 (answer, fci->len);
	put_u32 (answer, 16);
	g_byte_array_append (answer, fci->data, fci->len);
	pad4 (answer);
	fake_send_info (self, request, answer);
}

static void
fake_uicc_close_channel (FakeMbimModem *self, MbimMessage *request, const guint8 *info,
                         guint32 info_len)
{
	g_autoptr(GByteArray) answer = g_byte_array_new ();
	guint32 number = 0, group = 0;
	FakeChannel *channel;

	if (!get_u32 (info, info_len, 0, &number) || !get_u32 (info, info_len, 4, &group)) {
		fake_send_status (self, request, MBIM_STATUS_ERROR_INVALID_PARAMETERS);
		return;
	}
	if (number == 0) {
		/* the whole group */
		for (guint i = self->channels->len; i > 0; i--) {
			channel = g_ptr_array_index (self->channels, i - 1);
			if (channel->group == group)
				fake_card_close_channel (self, channel);
		}
	} else {
		channel = fake_find_channel (self, number);
		if (channel == NULL || channel->group != group) {
			fake_send_status (self, request, FAKE_MBIM_STATUS_INVALID_LOGICAL_CHANNEL);
			return;
		}
		fake_card_close_channel (self, channel);
	}
	put_u32 (answer, status_field (0x9000));
	fake_send_info (self, request, answer);
}

/* Watches an EnableProfile/DisableProfile on @channel; TRUE once it has
 * completed with result ok (BF31/BF32 { 80 01 00 }). */
static gboolean
fake_track_switch (FakeChannel *channel, const guint8 *apdu, gsize len, GBytes *data, guint16 sw)
{
	const guint8 *answer;

	if (len >= 7 && apdu[1] == INS_STORE_DATA && apdu[3] == 0x00) {
		channel->switch_request = apdu[5] == 0xBF && (apdu[6] == 0x31 || apdu[6] == 0x32);
		g_byte_array_set_size (channel->answer, 0);
	}
	if (!channel->switch_request || (apdu[1] != INS_STORE_DATA && apdu[1] != INS_GET_RESPONSE))
		return FALSE;
	g_byte_array_append (channel->answer, g_bytes_get_data (data, NULL), g_bytes_get_size (data));
	if (sw != 0x9000 || (apdu[1] == INS_STORE_DATA && (apdu[2] & 0x80) == 0))
		return FALSE;
	channel->switch_request = FALSE;
	answer = channel->answer->data;
	return channel->answer->len >= 6 && answer[0] == 0xBF &&
	       (answer[1] == 0x31 || answer[1] == 0x32) && answer[3] == 0x80 && answer[4] == 0x01 &&
	       answer[5] == 0x00;
}

static void
fake_uicc_apdu (FakeMbimModem *self, MbimMessage *request, const guint8 *info, guint32 info_len)
{
	g_autoptr(GByteArray) answer = g_byte_array_new ();
	g_autoptr(GByteArray) apdu = g_byte_array_new ();
	g_autoptr(GBytes) data = NULL;
	const guint8 *command = NULL;
	guint32 number = 0, secure = 0, class_type = 0, command_len = 0;
	guint16 sw = 0;
	gboolean switched = FALSE;
	FakeChannel *channel;

	if (!get_u32 (info, info_len, 0, &number) || !get_u32 (info, info_len, 4, &secure) ||
	    !get_u32 (info, info_len, 8, &class_type) ||
	    !get_bytes (info, info_len, 12, TRUE, &command, &command_len) || command_len < 4 ||
	    secure != MBIM_UICC_SECURE_MESSAGING_NONE) {
		fake_send_status (self, request, MBIM_STATUS_ERROR_INVALID_PARAMETERS);
		return;
	}
	channel = fake_find_channel (self, number);
	if (channel == NULL) {
		fake_send_status (self, request, FAKE_MBIM_STATUS_INVALID_LOGICAL_CHANNEL);
		return;
	}
	g_byte_array_append (apdu, command, command_len);
	/* the modem codes the channel into the CLA (first interindustry coding) */
	if ((apdu->data[0] & 0x40) == 0)
		apdu->data[0] = (apdu->data[0] & ~0x03) | (guint8) (number & 0x03);
	if (self->require_extended && class_type != MBIM_UICC_CLASS_BYTE_TYPE_EXTENDED) {
		/* what the L850-GL answers to the interindustry class byte type */
		data = g_bytes_new (NULL, 0);
		sw = 0x6E00;
	} else {
		data = fake_card_apdu (self, apdu->data, apdu->len, &sw);
		switched = fake_track_switch (channel, apdu->data, apdu->len, data, sw);
		if (self->require_le && apdu->data[1] == INS_STORE_DATA && apdu->len > 5 &&
		    apdu->len == 5 + (gsize) apdu->data[4] && (sw == 0x9000 || (sw & 0xFF00) == 0x6100)) {
			/* without Le the modem drops the card's answer */
			g_clear_pointer (&data, g_bytes_unref);
			data = g_bytes_new (NULL, 0);
			sw = 0x9000;
		}
	}
	put_u32 (answer, status_field (sw));
	put_u32 (answer, (guint32) g_bytes_get_size (data));
	put_u32 (answer, 12);
	g_byte_array_append (answer, g_bytes_get_data (data, NULL), g_bytes_get_size (data));
	pad4 (answer);
	fake_send_info (self, request, answer);
	if (self->close_function_after > 0 && --self->close_function_after == 0) {
		self->close_function_after = -1;
		fake_mbim_modem_close_function (self);
	}
	if (switched && self->reset_after_switch) {
		g_debug ("fake MBIM modem: profile switch done, the card resets (REFRESH)");
		fake_mbim_modem_reset_card (self);
	}
}

static void
fake_uicc_reset (FakeMbimModem *self, MbimMessage *request, const guint8 *info, guint32 info_len)
{
	g_autoptr(GByteArray) answer = g_byte_array_new ();
	guint32 action = 0;

	if (mbim_message_command_get_command_type (request) == MBIM_MESSAGE_COMMAND_TYPE_SET) {
		if (!get_u32 (info, info_len, 0, &action) || action > 1) {
			fake_send_status (self, request, MBIM_STATUS_ERROR_INVALID_PARAMETERS);
			return;
		}
		fake_mbim_modem_reset_card (self);
	}
	put_u32 (answer, MBIM_UICC_PASS_THROUGH_STATUS_DISABLED);
	fake_send_info (self, request, answer);
}

/* ------------------------------------------------------------------------ */
/* basic connect and MS basic connect extensions */

static void
fake_basic_subscriber_ready (FakeMbimModem *self, MbimMessage *request)
{
	g_autoptr(GByteArray) answer = g_byte_array_new ();
	MbimSubscriberReadyState state = MBIM_SUBSCRIBER_READY_STATE_INITIALIZED;

	if (fake_card (self) == NULL)
		state = MBIM_SUBSCRIBER_READY_STATE_SIM_NOT_INSERTED;
	else if (!fake_card_ready (self))
		state = MBIM_SUBSCRIBER_READY_STATE_NOT_INITIALIZED;
	put_u32 (answer, state);
	for (guint i = 0; i < 4; i++)
		put_u32 (answer, 0); /* SubscriberId and SimIccId: empty strings */
	put_u32 (answer, 0);     /* ReadyInfo */
	put_u32 (answer, 0);     /* no telephone numbers */
	fake_send_info (self, request, answer);
}

static void
fake_add_service (GByteArray *answer, guint index, MbimService service, const guint32 *cids,
                  guint n_cids)
{
	guint offset = answer->len;

	g_byte_array_append (answer, (const guint8 *) mbim_uuid_from_service (service), 16);
	put_u32 (answer, 0); /* DssPayload */
	put_u32 (answer, 0); /* MaxDssInstances */
	put_u32 (answer, n_cids);
	for (guint i = 0; i < n_cids; i++)
		put_u32 (answer, cids[i]);
	set_u32 (answer, 8 + index * 8, offset);
	set_u32 (answer, 8 + index * 8 + 4, answer->len - offset);
}

static void
fake_basic_device_services (FakeMbimModem *self, MbimMessage *request)
{
	static const guint32 basic[] = { CID_BASIC_DEVICE_CAPS, CID_BASIC_SUBSCRIBER_READY,
	                                 CID_BASIC_DEVICE_SERVICES, CID_BASIC_SUBSCRIBE_LIST };
	static const guint32 extensions[] = { CID_EXT_DEVICE_SLOT_MAPPINGS };
	static const guint32 uicc[] = { CID_UICC_OPEN_CHANNEL, CID_UICC_CLOSE_CHANNEL,
	                                CID_UICC_APDU, CID_UICC_RESET };
	g_autoptr(GByteArray) answer = g_byte_array_new ();

	put_u32 (answer, 3);
	put_u32 (answer, 0); /* MaxDssSessions */
	for (guint i = 0; i < 3 * 2; i++)
		put_u32 (answer, 0); /* (offset, size) pairs, filled in below */
	fake_add_service (answer, 0, MBIM_SERVICE_BASIC_CONNECT, basic, G_N_ELEMENTS (basic));
	fake_add_service (answer, 1, MBIM_SERVICE_MS_BASIC_CONNECT_EXTENSIONS, extensions,
	                  G_N_ELEMENTS (extensions));
	fake_add_service (answer, 2, MBIM_SERVICE_MS_UICC_LOW_LEVEL_ACCESS, uicc,
	                  G_N_ELEMENTS (uicc));
	fake_send_info (self, request, answer);
}

static void
fake_ext_slot_mappings (FakeMbimModem *self, MbimMessage *request, const guint8 *info,
                        guint32 info_len)
{
	g_autoptr(GByteArray) answer = g_byte_array_new ();

	if (self->slot_mapping == FAKE_MBIM_SLOT_MAPPING_NO_DEVICE_SUPPORT) {
		fake_send_status (self, request, MBIM_STATUS_ERROR_NO_DEVICE_SUPPORT);
		return;
	}
	if (self->slot_mapping == FAKE_MBIM_SLOT_MAPPING_FAILS) {
		fake_send_status (self, request, MBIM_STATUS_ERROR_FAILURE);
		return;
	}
	if (mbim_message_command_get_command_type (request) == MBIM_MESSAGE_COMMAND_TYPE_SET) {
		guint32 count = 0, slot = 0, size = 0;
		const guint8 *entry = NULL;

		if (!get_u32 (info, info_len, 0, &count) || count != 1 ||
		    !get_bytes (info, info_len, 4, FALSE, &entry, &size) || size < 4 ||
		    !get_u32 (entry, size, 0, &slot) || slot >= G_N_ELEMENTS (self->cards)) {
			fake_send_status (self, request, MBIM_STATUS_ERROR_INVALID_PARAMETERS);
			return;
		}
		if (slot != self->active) {
			g_debug ("fake MBIM modem: slot %u -> %u", self->active + 1, slot + 1);
			self->active = slot;
			self->n_slot_switches++;
			fake_card_restart (self);
		}
	}
	put_u32 (answer, 1);
	put_u32 (answer, 12);
	put_u32 (answer, 4);
	put_u32 (answer, self->active);
	fake_send_info (self, request, answer);
}

/* ------------------------------------------------------------------------ */

static void
fake_handle_command (FakeMbimModem *self, MbimMessage *message)
{
	MbimService service = mbim_message_command_get_service (message);
	guint32 cid = mbim_message_command_get_cid (message);
	guint32 info_len = 0;
	const guint8 *info = mbim_message_command_get_raw_information_buffer (message, &info_len);

	if (service == MBIM_SERVICE_MS_UICC_LOW_LEVEL_ACCESS && cid == CID_UICC_APDU) {
		self->n_apdus++;
		if (self->unplug_on_apdu) {
			g_debug ("fake MBIM modem: APDU swallowed, unplugging");
			fake_mbim_modem_unplug (self);
			return;
		}
		if (self->hold) {
			g_queue_push_tail (&self->held, mbim_message_ref (message));
			return;
		}
		fake_uicc_apdu (self, message, info, info_len);
		return;
	}
	if (service == MBIM_SERVICE_MS_UICC_LOW_LEVEL_ACCESS && cid == CID_UICC_OPEN_CHANNEL)
		fake_uicc_open_channel (self, message, info, info_len);
	else if (service == MBIM_SERVICE_MS_UICC_LOW_LEVEL_ACCESS && cid == CID_UICC_CLOSE_CHANNEL)
		fake_uicc_close_channel (self, message, info, info_len);
	else if (service == MBIM_SERVICE_MS_UICC_LOW_LEVEL_ACCESS && cid == CID_UICC_RESET)
		fake_uicc_reset (self, message, info, info_len);
	else if (service == MBIM_SERVICE_MS_BASIC_CONNECT_EXTENSIONS &&
	         cid == CID_EXT_DEVICE_SLOT_MAPPINGS)
		fake_ext_slot_mappings (self, message, info, info_len);
	else if (service == MBIM_SERVICE_BASIC_CONNECT && cid == CID_BASIC_SUBSCRIBER_READY)
		fake_basic_subscriber_ready (self, message);
	else if (service == MBIM_SERVICE_BASIC_CONNECT && cid == CID_BASIC_DEVICE_SERVICES)
		fake_basic_device_services (self, message);
	else if (service == MBIM_SERVICE_BASIC_CONNECT && cid == CID_BASIC_SUBSCRIBE_LIST) {
		g_autoptr(GByteArray) echo = g_byte_array_new ();

		g_byte_array_append (echo, info, info_len);
		fake_send_info (self, message, echo);
	} else
		fake_send_status (self, message, MBIM_STATUS_ERROR_NO_DEVICE_SUPPORT);
}

/* ------------------------------------------------------------------------ */
/* public API */

FakeMbimModem *
fake_mbim_modem_new (EsimVeuicc *slot1, EsimVeuicc *slot2, guint active_slot, GError **error)
{
	FakeMbimModem *self;

	g_return_val_if_fail (slot1 == NULL || ESIM_IS_VEUICC (slot1), NULL);
	g_return_val_if_fail (slot2 == NULL || ESIM_IS_VEUICC (slot2), NULL);
	g_return_val_if_fail (active_slot == 1 || active_slot == 2, NULL);

	self = g_new0 (FakeMbimModem, 1);
	self->context = g_main_context_ref_thread_default ();
	self->master_fd = -1;
	self->slave_fd = -1;
	self->in = g_byte_array_new ();
	self->out = g_byte_array_new ();
	self->max_transfer = DEFAULT_MAX_TRANSFER;
	self->cards[0] = slot1 != NULL ? g_object_ref (slot1) : NULL;
	self->cards[1] = slot2 != NULL ? g_object_ref (slot2) : NULL;
	self->active = active_slot - 1;
	self->channels = g_ptr_array_new_with_free_func ((GDestroyNotify) fake_channel_free);
	self->require_select_p2 = -1;
	self->last_select_p2 = -1;
	self->close_function_after = -1;
	g_queue_init (&self->held);
	if (!fake_open_pty (self, error)) {
		fake_mbim_modem_free (self);
		return NULL;
	}
	return self;
}

void
fake_mbim_modem_unplug (FakeMbimModem *self)
{
	g_return_if_fail (self != NULL);

	if (!self->plugged)
		return;
	g_debug ("fake MBIM modem %s: unplugged", self->port);
	self->plugged = FALSE;
	self->session_open = FALSE;
	if (self->read_source != NULL) {
		g_source_destroy (self->read_source);
		g_clear_pointer (&self->read_source, g_source_unref);
	}
	g_clear_pointer (&self->write_source, g_source_destroy);
	g_queue_clear_full (&self->held, (GDestroyNotify) mbim_message_unref);
	g_byte_array_set_size (self->out, 0);
	g_byte_array_set_size (self->in, 0);
	close_fd (&self->slave_fd);
	close_fd (&self->master_fd);
}

void
fake_mbim_modem_free (FakeMbimModem *self)
{
	if (self == NULL)
		return;
	fake_mbim_modem_unplug (self);
	close_fd (&self->slave_fd);
	close_fd (&self->master_fd);
	g_clear_pointer (&self->fragments, g_byte_array_unref);
	g_byte_array_unref (self->in);
	g_byte_array_unref (self->out);
	g_ptr_array_unref (self->channels);
	g_clear_object (&self->cards[0]);
	g_clear_object (&self->cards[1]);
	g_main_context_unref (self->context);
	g_free (self->port);
	g_free (self);
}

const gchar *
fake_mbim_modem_get_port (FakeMbimModem *self)
{
	g_return_val_if_fail (self != NULL, NULL);
	return self->port;
}

void
fake_mbim_modem_require_extended_class_byte (FakeMbimModem *self, gboolean require)
{
	self->require_extended = require;
}

void
fake_mbim_modem_require_select_p2 (FakeMbimModem *self, gint select_p2)
{
	self->require_select_p2 = select_p2;
}

void
fake_mbim_modem_require_le (FakeMbimModem *self, gboolean require)
{
	self->require_le = require;
}

void
fake_mbim_modem_set_slot_mapping (FakeMbimModem *self, FakeMbimSlotMapping mode)
{
	self->slot_mapping = mode;
}

void
fake_mbim_modem_set_ready_delay (FakeMbimModem *self, guint delay_ms)
{
	self->ready_delay_ms = delay_ms;
}

void
fake_mbim_modem_set_max_fragment (FakeMbimModem *self, guint size)
{
	g_return_if_fail (size == 0 || size >= 64);
	self->max_fragment = size;
}

void
fake_mbim_modem_refuse_open_channel (FakeMbimModem *self, guint32 mbim_status)
{
	self->refuse_status = mbim_status;
}

void
fake_mbim_modem_unplug_on_next_apdu (FakeMbimModem *self)
{
	self->unplug_on_apdu = TRUE;
}

void
fake_mbim_modem_hold_apdus (FakeMbimModem *self, gboolean hold)
{
	MbimMessage *message;

	self->hold = hold;
	while (!self->hold && (message = g_queue_pop_head (&self->held)) != NULL) {
		guint32 info_len = 0;
		const guint8 *info = mbim_message_command_get_raw_information_buffer (message,
		                                                                      &info_len);

		fake_uicc_apdu (self, message, info, info_len);
		mbim_message_unref (message);
	}
}

void
fake_mbim_modem_set_reset_after_switch (FakeMbimModem *self, gboolean reset)
{
	self->reset_after_switch = reset;
}

void
fake_mbim_modem_close_function (FakeMbimModem *self)
{
	g_return_if_fail (self != NULL);
	g_debug ("fake MBIM modem %s: the function restarts and forgets the host's OPEN",
	         self->port);
	self->session_open = FALSE;
}

void
fake_mbim_modem_close_function_after_apdus (FakeMbimModem *self, guint n_apdus)
{
	g_return_if_fail (self != NULL);
	if (n_apdus == 0) {
		fake_mbim_modem_close_function (self);
		return;
	}
	self->close_function_after = (gint) n_apdus;
}

guint
fake_mbim_modem_open_stale_channel (FakeMbimModem *self, guint32 group)
{
	static const guint8 isdr[] = { 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
	                               0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x01, 0x00 };
	g_autoptr(GByteArray) fci = g_byte_array_new ();
	FakeChannel *entry;
	guint16 sw = 0;
	guint32 channel;

	g_return_val_if_fail (self != NULL, 0);
	if (fake_card (self) == NULL)
		return 0;
	channel = fake_card_open_channel (self, isdr, sizeof (isdr), 0x04, &sw, fci);
	if (channel == 0)
		return 0;
	entry = g_new0 (FakeChannel, 1);
	entry->channel = channel;
	entry->group = group;
	entry->answer = g_byte_array_new ();
	g_ptr_array_add (self->channels, entry);
	return channel;
}

guint
fake_mbim_modem_get_active_slot (FakeMbimModem *self)
{
	return self->active + 1;
}

gboolean
fake_mbim_modem_is_plugged (FakeMbimModem *self)
{
	return self->plugged;
}

gboolean
fake_mbim_modem_is_session_open (FakeMbimModem *self)
{
	return self->session_open;
}

guint
fake_mbim_modem_get_n_open_channels (FakeMbimModem *self)
{
	return self->channels->len;
}

guint
fake_mbim_modem_get_n_apdus (FakeMbimModem *self)
{
	return self->n_apdus;
}

guint
fake_mbim_modem_get_n_held (FakeMbimModem *self)
{
	return self->held.length;
}

guint
fake_mbim_modem_get_n_resets (FakeMbimModem *self)
{
	return self->n_resets;
}

guint
fake_mbim_modem_get_n_slot_switches (FakeMbimModem *self)
{
	return self->n_slot_switches;
}

guint
fake_mbim_modem_get_n_fragmented (FakeMbimModem *self)
{
	return self->n_fragmented;
}

guint
fake_mbim_modem_get_n_opens (FakeMbimModem *self)
{
	return self->n_opens;
}

guint
fake_mbim_modem_get_n_not_opened (FakeMbimModem *self)
{
	return self->n_not_opened;
}

guint32
fake_mbim_modem_get_last_channel_group (FakeMbimModem *self)
{
	return self->last_group;
}

gint
fake_mbim_modem_get_last_select_p2 (FakeMbimModem *self)
{
	return self->last_select_p2;
}
