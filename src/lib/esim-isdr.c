/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * EsimIsdr: one logical channel to the ISD-R and the STORE DATA session on it.
 *
 * Every operation (open, transceive, close) goes through one FIFO: a card
 * cannot interleave two STORE DATA sequences or a GET RESPONSE chain, so a
 * call made while another runs waits for it.
 *
 * Response handling per command:
 *   - 61xx (and the (U)SIM form 9Fxx): GET RESPONSE (CLA 00|ch interindustry
 *     coding, Le = xx, 00 = 256) until the card stops announcing data;
 *   - 6Cxx: the same command re-sent once with Le = xx;
 *   - 9000 and 91xx (proactive command pending, e.g. REFRESH) end the
 *     exchange successfully; anything else becomes an EsimApduError.
 * Intermediate STORE DATA blocks are expected to answer 9000 without data.
 * When one answers with data anyway (9000 with data, or a 61xx chain), that
 * data is taken as the final answer and the remaining blocks are not sent:
 * this is how an eUICC reports an early error inside a segmented request
 * (e.g. a ProfileInstallationResult while loading a bound profile package).
 *
 * A backend that lost its session with the modem (ESIM_APDU_ERROR_SESSION_LOST:
 * the command never reached the card, every channel is gone) is healed here,
 * once per operation: the ISD-R is reopened and the ES10 request is sent
 * again from its first block.  That is safe while the lost command was a
 * STORE DATA block (the blocks the card had taken died with their channel);
 * once the card has answered the last block (a GET RESPONSE chain runs), the
 * function has been executed and sending it again could repeat it, so the
 * error is returned instead — unless the function only reads (GetEID,
 * GetProfilesInfo…), which runs again without harm.
 */

#define G_LOG_DOMAIN "esim"

#include "esim-apdu.h"
#include "esim-der.h"
#include "esim-error.h"
#include "esim-tags.h"
#include "esim-util.h"

#define ESIM_ISDR_DEFAULT_SEGMENT_SIZE ESIM_STORE_DATA_MAX_SEGMENT
#define ESIM_ISDR_MIN_SEGMENT_SIZE     6
#define ESIM_ISDR_MAX_SEGMENT_SIZE     ESIM_STORE_DATA_MAX_SEGMENT
/* bounds a card that keeps announcing data: 1024 full GET RESPONSEs = 256 KiB */
#define ESIM_ISDR_MAX_GET_RESPONSES    1024

struct _EsimIsdr {
	GObject parent_instance;
	EsimChannel *channel;
	gint logical_channel; /* -1 when closed */
	gsize segment_size;
	GQueue queue;         /* GTask*: operations waiting for their turn */
	gboolean busy;        /* an operation is running */
	gboolean open_on_demand; /* a request to a closed ISD-R opens it first */
	guint apdu_count;
};

G_DEFINE_TYPE (EsimIsdr, esim_isdr, G_TYPE_OBJECT)

typedef enum {
	ISDR_OP_OPEN,
	ISDR_OP_TRANSCEIVE,
	ISDR_OP_CLOSE,
} IsdrOpKind;

typedef enum {
	OPEN_STEP_CHANNEL,
	OPEN_STEP_TERMINAL_CAPABILITY,
	OPEN_STEP_DONE,
} OpenStep;

typedef enum {
	TRANSCEIVE_STEP_SEND_BLOCK,
	TRANSCEIVE_STEP_BLOCK_DONE,
	TRANSCEIVE_STEP_DONE,
} TransceiveStep;

typedef struct {
	IsdrOpKind kind;
	guint step;
	guint open_step;      /* OpenStep, for open and for a transceive that reopens */
	gboolean session_retried; /* a lost session was already healed once */
	/* transceive */
	GBytes *request;      /* the ES10 request TLV */
	GPtrArray *blocks;    /* STORE DATA commands, built when the operation starts */
	guint block;          /* index of the block being exchanged */
	GBytes *command;      /* the command in flight, kept for a 6Cxx re-send */
	gboolean le_retried;  /* the command in flight was already re-sent for 6Cxx */
	gboolean executed;    /* the card answered the block in flight: it ran it */
	guint get_responses;  /* GET RESPONSE commands sent for this request */
	GByteArray *response; /* data of the current exchange, GET RESPONSE pieces appended */
} IsdrOp;

static void
isdr_op_free (IsdrOp *op)
{
	g_clear_pointer (&op->request, g_bytes_unref);
	g_clear_pointer (&op->blocks, g_ptr_array_unref);
	g_clear_pointer (&op->command, g_bytes_unref);
	g_clear_pointer (&op->response, g_byte_array_unref);
	g_free (op);
}

static void isdr_queue_kick (EsimIsdr *self);
static void isdr_open_step (GTask *task);
static void isdr_close_start (GTask *task);
static void isdr_transceive_step (GTask *task);
static gboolean isdr_heal_session (GTask *task, const GError *error);

/* ------------------------------------------------------------------------ */
/* queue */

/* Takes @op; the operation starts now or when the ones before it have finished. */
static void
isdr_enqueue (EsimIsdr *self, GTask *task, IsdrOp *op)
{
	g_task_set_task_data (task, op, (GDestroyNotify) isdr_op_free);
	g_queue_push_tail (&self->queue, g_object_ref (task));
	isdr_queue_kick (self);
}

/* Called once the running operation has returned: lets the next one run. */
static void
isdr_op_done (EsimIsdr *self)
{
	self->busy = FALSE;
	isdr_queue_kick (self);
}

static void
isdr_return_error (GTask *task, GError *error)
{
	EsimIsdr *self = g_task_get_source_object (task);

	g_task_return_error (task, error);
	isdr_op_done (self);
}

static void
isdr_return_boolean (GTask *task)
{
	EsimIsdr *self = g_task_get_source_object (task);

	g_task_return_boolean (task, TRUE);
	isdr_op_done (self);
}

/* Returns TRUE (and finishes the operation) if @task was cancelled. */
static gboolean
isdr_return_if_cancelled (GTask *task)
{
	EsimIsdr *self = g_task_get_source_object (task);

	if (!g_task_return_error_if_cancelled (task))
		return FALSE;
	isdr_op_done (self);
	return TRUE;
}

static void
isdr_queue_kick (EsimIsdr *self)
{
	g_autoptr(GTask) task = NULL;
	IsdrOp *op;

	if (self->busy || g_queue_is_empty (&self->queue))
		return;
	task = g_queue_pop_head (&self->queue);
	op = g_task_get_task_data (task);
	self->busy = TRUE;
	switch (op->kind) {
	case ISDR_OP_OPEN:
		isdr_open_step (task);
		break;
	case ISDR_OP_TRANSCEIVE:
		if (self->logical_channel < 0 && self->open_on_demand) {
			/* the open steps hand over to the request when done */
			g_debug ("ISD-R opened on demand");
			op->open_step = OPEN_STEP_CHANNEL;
			isdr_open_step (task);
			break;
		}
		isdr_transceive_step (task);
		break;
	case ISDR_OP_CLOSE:
		isdr_close_start (task);
		break;
	}
}

/* ------------------------------------------------------------------------ */
/* APDU exchange with logging */

static void
isdr_log_apdu (EsimIsdr *self, const gchar *direction, GBytes *apdu)
{
	if (esim_log_get_personal_info ()) {
		g_autofree gchar *hex = esim_hex_encode_bytes (apdu);
		g_debug ("ISD-R ch%d %s %s", self->logical_channel, direction, hex);
	} else if (g_str_equal (direction, "<") && g_bytes_get_size (apdu) >= 2) {
		const guint8 *data = g_bytes_get_data (apdu, NULL);
		gsize len = g_bytes_get_size (apdu);
		g_debug ("ISD-R ch%d < %" G_GSIZE_FORMAT " bytes, SW %02X%02X",
			 self->logical_channel, len - 2, data[len - 2], data[len - 1]);
	} else {
		g_debug ("ISD-R ch%d %s %" G_GSIZE_FORMAT " bytes", self->logical_channel,
			 direction, g_bytes_get_size (apdu));
	}
}

static void
isdr_transmit (EsimIsdr *self, GTask *task, GBytes *command, GAsyncReadyCallback callback)
{
	isdr_log_apdu (self, ">", command);
	self->apdu_count++;
	esim_channel_transmit_async (self->channel, self->logical_channel, command,
				     g_task_get_cancellable (task), callback, g_object_ref (task));
}

/* Finishes a transmit: data and SW of the response, logged. */
static gboolean
isdr_transmit_finish (EsimIsdr *self, GAsyncResult *res, GBytes **data, guint16 *sw,
		      GError **error)
{
	g_autoptr(GBytes) response = esim_channel_transmit_finish (self->channel, res, error);

	if (response == NULL)
		return FALSE;
	isdr_log_apdu (self, "<", response);
	return esim_apdu_response_parse (response, data, sw, error);
}

/* @command with its Le replaced (or appended) by @le, for a 6Cxx re-send. */
static GBytes *
isdr_command_with_le (GBytes *command, guint8 le)
{
	gsize len = 0;
	const guint8 *raw = g_bytes_get_data (command, &len);
	g_autoptr(GByteArray) buf = g_byte_array_new ();
	gsize without_le = len;

	/* short APDU cases: 4 (case 1), 5 (case 2), 5+Lc (case 3), 6+Lc (case 4) */
	if (len == 5 || (len > 5 && len == 6 + (gsize) raw[4]))
		without_le = len - 1;
	g_byte_array_append (buf, raw, without_le);
	g_byte_array_append (buf, &le, 1);
	return g_byte_array_free_to_bytes (g_steal_pointer (&buf));
}

/* ------------------------------------------------------------------------ */
/* open and close */

static void
isdr_terminal_capability_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimIsdr *self = g_task_get_source_object (task);
	IsdrOp *op = g_task_get_task_data (task);
	g_autoptr(GError) error = NULL;
	guint16 sw = 0;

	if (!isdr_transmit_finish (self, res, NULL, &sw, &error)) {
		if (isdr_heal_session (task, error))
			return;
		/* older cards and some modems refuse it; the ISD-R works without */
		g_debug ("TERMINAL CAPABILITY not sent: %s", error->message);
	} else if (!esim_apdu_check_sw (sw, &error)) {
		g_debug ("TERMINAL CAPABILITY not accepted: %s", error->message);
	}
	op->open_step = OPEN_STEP_DONE;
	isdr_open_step (task);
}

static void
isdr_channel_open_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimIsdr *self = g_task_get_source_object (task);
	IsdrOp *op = g_task_get_task_data (task);
	GError *error = NULL;
	gint channel;

	channel = esim_channel_open_finish (self->channel, res, &error);
	if (error != NULL) {
		g_autoptr(GError) owned = error;

		if (isdr_heal_session (task, owned))
			return;
		isdr_return_error (task, g_steal_pointer (&owned));
		return;
	}
	if (channel < 0 || channel > ESIM_LOGICAL_CHANNEL_MAX) {
		isdr_return_error (task, g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_TRANSPORT,
						      "backend opened invalid logical channel %d",
						      channel));
		return;
	}
	self->logical_channel = channel;
	if (channel == 0)
		g_debug ("ISD-R selected on the basic channel");
	else
		g_debug ("ISD-R selected on logical channel %d", channel);
	op->open_step = OPEN_STEP_TERMINAL_CAPABILITY;
	isdr_open_step (task);
}

static void
isdr_channel_close_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimIsdr *self = g_task_get_source_object (task);
	GError *error = NULL;

	/* whatever the card answered, the channel is no longer usable by us */
	self->logical_channel = -1;
	if (!esim_channel_close_finish (self->channel, res, &error)) {
		/* the channel died with the modem's session: closed all the same */
		if (g_error_matches (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_SESSION_LOST)) {
			g_debug ("ISD-R channel gone with the modem session: %s", error->message);
			g_error_free (error);
			isdr_return_boolean (task);
			return;
		}
		isdr_return_error (task, error);
		return;
	}
	isdr_return_boolean (task);
}

static void
isdr_close_start (GTask *task)
{
	EsimIsdr *self = g_task_get_source_object (task);

	if (self->logical_channel < 0) {
		isdr_return_boolean (task);
		return;
	}
	/* the basic channel cannot be closed: the session just ends */
	if (self->logical_channel == 0) {
		self->logical_channel = -1;
		isdr_return_boolean (task);
		return;
	}
	/* not cancellable: a half-closed channel would leak on the card */
	esim_channel_close_async (self->channel, self->logical_channel, NULL,
				  isdr_channel_close_ready, g_object_ref (task));
}

static void
isdr_open_step (GTask *task)
{
	EsimIsdr *self = g_task_get_source_object (task);
	IsdrOp *op = g_task_get_task_data (task);

	switch ((OpenStep) op->open_step) {
	case OPEN_STEP_CHANNEL: {
		g_autoptr(GBytes) aid = NULL;

		if (isdr_return_if_cancelled (task))
			return;
		if (self->logical_channel >= 0) {
			op->open_step = OPEN_STEP_DONE;
			isdr_open_step (task);
			return;
		}
		aid = g_bytes_new_static (ESIM_ISDR_AID, sizeof (ESIM_ISDR_AID));
		esim_channel_open_async (self->channel, aid, g_task_get_cancellable (task),
					 isdr_channel_open_ready, g_object_ref (task));
		return;
	}
	case OPEN_STEP_TERMINAL_CAPABILITY: {
		g_autoptr(GBytes) command = esim_apdu_build_terminal_capability (self->logical_channel);

		isdr_transmit (self, task, command, isdr_terminal_capability_ready);
		return;
	}
	case OPEN_STEP_DONE:
		if (op->kind == ISDR_OP_OPEN) {
			isdr_return_boolean (task);
			return;
		}
		/* a transceive that reopened: the request again, from its first block */
		g_clear_pointer (&op->blocks, g_ptr_array_unref);
		op->block = 0;
		op->get_responses = 0;
		g_byte_array_set_size (op->response, 0);
		op->step = TRANSCEIVE_STEP_SEND_BLOCK;
		isdr_transceive_step (task);
		return;
	}
}

/* ES10 functions that change nothing on the card: running one twice is harmless. */
static gboolean
request_only_reads (GBytes *request)
{
	static const EsimTag read_only[] = {
		ESIM_TAG_GET_EUICC_INFO1, ESIM_TAG_GET_EUICC_INFO2, ESIM_TAG_LIST_NOTIFICATION,
		ESIM_TAG_RETRIEVE_NOTIFICATIONS, ESIM_TAG_GET_PROFILES_INFO,
		ESIM_TAG_GET_EUICC_CHALLENGE, ESIM_TAG_GET_CONFIGURED_ADDRESSES, ESIM_TAG_GET_EID,
		ESIM_TAG_GET_RAT, ESIM_TAG_GET_EIM_CONFIGURATION_DATA, ESIM_TAG_GET_CERTS,
		ESIM_TAG_GET_CONNECTIVITY_PARAMS,
	};
	EsimTlv tlv;
	gsize consumed = 0;

	if (!esim_tlv_parse (g_bytes_get_data (request, NULL), g_bytes_get_size (request), &tlv,
	                     &consumed, NULL))
		return FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS (read_only); i++) {
		if (tlv.tag == read_only[i])
			return TRUE;
	}
	return FALSE;
}

/* Called with a failure of a command or open: TRUE if it was a lost modem
 * session that is healed now (the ISD-R is reopened and the operation goes on
 * from there), FALSE if the caller must report @error. */
static gboolean
isdr_heal_session (GTask *task, const GError *error)
{
	EsimIsdr *self = g_task_get_source_object (task);
	IsdrOp *op = g_task_get_task_data (task);

	if (!g_error_matches (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_SESSION_LOST))
		return FALSE;
	/* every channel died with the session: nothing to close */
	self->logical_channel = -1;
	if (op->session_retried || op->kind == ISDR_OP_CLOSE)
		return FALSE;
	if (op->kind == ISDR_OP_TRANSCEIVE && op->executed && !request_only_reads (op->request)) {
		g_message ("ISD-R: the modem lost its session after the card ran the command; "
			   "not sending it again: %s", error->message);
		return FALSE;
	}
	g_message ("ISD-R: the modem lost its session (%s); reopening the ISD-R%s",
		   error->message,
		   op->kind == ISDR_OP_TRANSCEIVE ? " and sending the request again" : "");
	op->session_retried = TRUE;
	/* the open steps run for a transceive too and hand back to it when done */
	op->open_step = OPEN_STEP_CHANNEL;
	isdr_open_step (task);
	return TRUE;
}

/* ------------------------------------------------------------------------ */
/* transceive */

static void isdr_exchange (GTask *task, GBytes *command);

static void
isdr_exchange_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = G_TASK (user_data);
	EsimIsdr *self = g_task_get_source_object (task);
	IsdrOp *op = g_task_get_task_data (task);
	g_autoptr(GBytes) data = NULL;
	GError *error = NULL;
	guint16 sw = 0;
	guint8 sw1;
	guint8 sw2;

	if (!isdr_transmit_finish (self, res, &data, &sw, &error)) {
		g_autoptr(GError) owned = error;

		if (isdr_heal_session (task, owned))
			return;
		isdr_return_error (task, g_steal_pointer (&owned));
		return;
	}
	sw1 = sw >> 8;
	sw2 = sw & 0xFF;
	if (g_bytes_get_size (data) > 0)
		g_byte_array_append (op->response, g_bytes_get_data (data, NULL),
				     g_bytes_get_size (data));

	if (sw1 == ESIM_SW1_WRONG_LE && !op->le_retried) {
		g_autoptr(GBytes) again = isdr_command_with_le (op->command, sw2);

		op->le_retried = TRUE;
		isdr_transmit (self, task, again, isdr_exchange_ready);
		return;
	}
	if (sw1 == ESIM_SW1_MORE_DATA || sw1 == ESIM_SW1_MORE_DATA_SIM) {
		EsimApdu get_response = {
			.cla = esim_apdu_cla_for_channel (self->logical_channel, FALSE),
			.ins = ESIM_INS_GET_RESPONSE,
			.le = sw2 == 0 ? 256 : sw2,
		};
		g_autoptr(GBytes) command = NULL;

		if (++op->get_responses > ESIM_ISDR_MAX_GET_RESPONSES) {
			error = g_error_new (ESIM_APDU_ERROR, ESIM_APDU_ERROR_MALFORMED_RESPONSE,
					     "card still announces data after %u GET RESPONSEs",
					     (guint) ESIM_ISDR_MAX_GET_RESPONSES);
			isdr_return_error (task, error);
			return;
		}
		command = esim_apdu_encode (&get_response);
		/* the card ran the block: what follows only fetches its answer */
		op->executed = TRUE;
		isdr_exchange (task, command);
		return;
	}
	if (!esim_apdu_check_sw (sw, &error)) {
		isdr_return_error (task, error);
		return;
	}
	if (sw1 == ESIM_SW1_PROACTIVE_PENDING)
		g_debug ("ISD-R: proactive command pending (SW %04X)", sw);
	op->step = TRANSCEIVE_STEP_BLOCK_DONE;
	isdr_transceive_step (task);
}

/* Sends @command and follows 61xx/6Cxx until the card gives a final status. */
static void
isdr_exchange (GTask *task, GBytes *command)
{
	EsimIsdr *self = g_task_get_source_object (task);
	IsdrOp *op = g_task_get_task_data (task);

	g_clear_pointer (&op->command, g_bytes_unref);
	op->command = g_bytes_ref (command);
	op->le_retried = FALSE;
	isdr_transmit (self, task, command, isdr_exchange_ready);
}

static void
isdr_transceive_step (GTask *task)
{
	EsimIsdr *self = g_task_get_source_object (task);
	IsdrOp *op = g_task_get_task_data (task);

	switch ((TransceiveStep) op->step) {
	case TRANSCEIVE_STEP_SEND_BLOCK:
		/* only before a block: an answer already received is not thrown away */
		if (isdr_return_if_cancelled (task))
			return;
		op->executed = FALSE;
		if (self->logical_channel < 0) {
			GError *error = g_error_new_literal (ESIM_APDU_ERROR,
							     ESIM_APDU_ERROR_CHANNEL_CLOSED,
							     "ISD-R session is not open");
			isdr_return_error (task, error);
			return;
		}
		if (op->blocks == NULL) {
			gsize len = 0;
			const guint8 *data = g_bytes_get_data (op->request, &len);

			/* built now, not when queued: the channel number may have changed since */
			op->blocks = esim_apdu_build_store_data (self->logical_channel, data, len,
								 self->segment_size);
			if (op->blocks == NULL) {
				GError *error = g_error_new (ESIM_APDU_ERROR,
							     ESIM_APDU_ERROR_WRONG_LENGTH,
							     "ES10 request of %" G_GSIZE_FORMAT
							     " bytes needs more than 256 blocks",
							     len);
				isdr_return_error (task, error);
				return;
			}
		}
		isdr_exchange (task, g_ptr_array_index (op->blocks, op->block));
		return;
	case TRANSCEIVE_STEP_BLOCK_DONE:
		if (op->block + 1 < op->blocks->len) {
			if (op->response->len > 0) {
				g_debug ("ISD-R answered block %u of %u with data: final answer",
					 op->block + 1, op->blocks->len);
				op->step = TRANSCEIVE_STEP_DONE;
				isdr_transceive_step (task);
				return;
			}
			op->block++;
			op->step = TRANSCEIVE_STEP_SEND_BLOCK;
			isdr_transceive_step (task);
			return;
		}
		op->step = TRANSCEIVE_STEP_DONE;
		isdr_transceive_step (task);
		return;
	case TRANSCEIVE_STEP_DONE: {
		GByteArray *response = g_steal_pointer (&op->response);

		g_task_return_pointer (task, g_byte_array_free_to_bytes (response),
				       (GDestroyNotify) g_bytes_unref);
		isdr_op_done (self);
		return;
	}
	}
}

/* ------------------------------------------------------------------------ */
/* public API */

EsimIsdr *
esim_isdr_new (EsimChannel *channel)
{
	EsimIsdr *self;

	g_return_val_if_fail (ESIM_IS_CHANNEL (channel), NULL);

	self = g_object_new (ESIM_TYPE_ISDR, NULL);
	self->channel = g_object_ref (channel);
	return self;
}

EsimChannel *
esim_isdr_get_channel (EsimIsdr *self)
{
	g_return_val_if_fail (ESIM_IS_ISDR (self), NULL);
	return self->channel;
}

void
esim_isdr_set_segment_size (EsimIsdr *self, gsize segment_size)
{
	g_return_if_fail (ESIM_IS_ISDR (self));
	g_return_if_fail (segment_size >= ESIM_ISDR_MIN_SEGMENT_SIZE &&
			  segment_size <= ESIM_ISDR_MAX_SEGMENT_SIZE);
	self->segment_size = segment_size;
}

gsize
esim_isdr_get_segment_size (EsimIsdr *self)
{
	g_return_val_if_fail (ESIM_IS_ISDR (self), 0);
	return self->segment_size;
}

gboolean
esim_isdr_is_open (EsimIsdr *self)
{
	g_return_val_if_fail (ESIM_IS_ISDR (self), FALSE);
	return self->logical_channel >= 0;
}

gint
esim_isdr_get_logical_channel (EsimIsdr *self)
{
	g_return_val_if_fail (ESIM_IS_ISDR (self), -1);
	return self->logical_channel;
}

void
esim_isdr_forget_channel (EsimIsdr *self)
{
	g_return_if_fail (ESIM_IS_ISDR (self));
	if (self->logical_channel >= 0)
		g_debug ("ISD-R forgetting logical channel %d (card was reset)", self->logical_channel);
	self->logical_channel = -1;
}

void
esim_isdr_set_open_on_demand (EsimIsdr *self, gboolean on_demand)
{
	g_return_if_fail (ESIM_IS_ISDR (self));
	self->open_on_demand = on_demand;
}

guint
esim_isdr_get_apdu_count (EsimIsdr *self)
{
	g_return_val_if_fail (ESIM_IS_ISDR (self), 0);
	return self->apdu_count;
}

/* Queues an open or close: operations without arguments that return a boolean. */
static void
isdr_enqueue_simple (EsimIsdr *self, IsdrOpKind kind, gpointer source_tag,
		     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
	IsdrOp *op = g_new0 (IsdrOp, 1);

	g_task_set_source_tag (task, source_tag);
	op->kind = kind;
	isdr_enqueue (self, task, op);
}

void
esim_isdr_open_async (EsimIsdr *self, GCancellable *cancellable, GAsyncReadyCallback callback,
		      gpointer user_data)
{
	g_return_if_fail (ESIM_IS_ISDR (self));
	isdr_enqueue_simple (self, ISDR_OP_OPEN, esim_isdr_open_async, cancellable, callback,
			     user_data);
}

gboolean
esim_isdr_open_finish (EsimIsdr *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, self), FALSE);
	return g_task_propagate_boolean (G_TASK (res), error);
}

void
esim_isdr_transceive_async (EsimIsdr *self, GBytes *request, GCancellable *cancellable,
			    GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = NULL;
	IsdrOp *op;

	g_return_if_fail (ESIM_IS_ISDR (self));
	g_return_if_fail (request != NULL);

	task = g_task_new (self, cancellable, callback, user_data);
	g_task_set_source_tag (task, esim_isdr_transceive_async);
	if (g_bytes_get_size (request) == 0) {
		g_task_return_new_error (task, ESIM_APDU_ERROR, ESIM_APDU_ERROR_WRONG_LENGTH,
					 "empty ES10 request");
		return;
	}
	op = g_new0 (IsdrOp, 1);
	op->kind = ISDR_OP_TRANSCEIVE;
	op->request = g_bytes_ref (request);
	op->response = g_byte_array_new ();
	isdr_enqueue (self, task, op);
}

GBytes *
esim_isdr_transceive_finish (EsimIsdr *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, self), NULL);
	return g_task_propagate_pointer (G_TASK (res), error);
}

void
esim_isdr_close_async (EsimIsdr *self, GCancellable *cancellable, GAsyncReadyCallback callback,
		       gpointer user_data)
{
	g_return_if_fail (ESIM_IS_ISDR (self));
	isdr_enqueue_simple (self, ISDR_OP_CLOSE, esim_isdr_close_async, cancellable, callback,
			     user_data);
}

gboolean
esim_isdr_close_finish (EsimIsdr *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, self), FALSE);
	return g_task_propagate_boolean (G_TASK (res), error);
}

/* ------------------------------------------------------------------------ */
/* GObject */

static void
esim_isdr_dispose (GObject *object)
{
	EsimIsdr *self = ESIM_ISDR (object);

	/* queued tasks hold a reference to us, so the queue is empty here */
	if (self->logical_channel > 0 && self->channel != NULL) {
		g_debug ("ISD-R dropped with logical channel %d open: closing it",
			 self->logical_channel);
		esim_channel_close_async (self->channel, self->logical_channel, NULL, NULL, NULL);
		self->logical_channel = -1;
	}
	g_clear_object (&self->channel);
	G_OBJECT_CLASS (esim_isdr_parent_class)->dispose (object);
}

static void
esim_isdr_init (EsimIsdr *self)
{
	self->logical_channel = -1;
	self->segment_size = ESIM_ISDR_DEFAULT_SEGMENT_SIZE;
	g_queue_init (&self->queue);
}

static void
esim_isdr_class_init (EsimIsdrClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS (klass);

	object_class->dispose = esim_isdr_dispose;
}
