/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The test eIM: state per EID, the ESipa functions, the checks on what comes
 * back, faults and push.  See esim-test-eim.h for what it does and where
 * each behaviour comes from.
 */

#define G_LOG_DOMAIN "esim-test-eim"

#include <glib/gstdio.h>
#include <string.h>

#include "esim-activation-code.h"
#include "esim-ecdsa.h"
#include "esim-test-eim-private.h"
#include "esim-util.h"

#define REQUEST_MAX_BODY  (1024 * 1024)
#define TRANSACTION_ID_LENGTH 16     /* onomondo-eim: rand:bytes(16) per package */

G_DEFINE_QUARK (esim-test-eim-error-quark, esim_test_eim_error)

typedef struct {
	guint               id;
	EsimTestEimPackage *package;
} QueuedPackage;

struct _EimEuicc {
	gchar      *eid;
	GBytes     *eid_bytes;
	GQueue      queue;              /* QueuedPackage */
	gint64      counter;
	gboolean    has_token;
	gint64      token;
	EsimCert   *certificate;
	GBytes     *euicc_info1;
	GPtrArray  *deliveries;         /* EsimTestEimDelivery */
	GArray     *acknowledged;       /* gint64 */
	GHashTable *seen;               /* seqNumbers delivered, gint64 */
	gint64      max_seq;
	guint       state_changes;
	gint64      last_state_change_cause;
};

typedef struct {
	EsimTestEimFault fault;
	gchar           *eid;
	guint            remaining;
} EimFault;

/* A request answered later: a relayed one, or one that never is. */
typedef struct {
	EsimTestEim       *self;
	SoupServerMessage *msg;
	EsimTestEimBinding binding;
	gchar             *eid;
	gboolean           gone;        /* the message finished or its connection closed */
} PendingRequest;

struct _EsimTestEim {
	GObject       parent_instance;
	gchar        *eim_id;
	gchar        *listen_address;
	gchar        *host;
	gchar        *fqdn;
	gchar        *asn1_path;
	gchar        *json_prefix;
	gint64        initial_counter;
	gboolean      accept_any_eid;
	EimCredentials credentials;
	SoupServer   *server;
	EimListener  *listener;
	GHashTable   *euiccs;           /* EID -> EimEuicc */
	GPtrArray    *records;          /* EsimTestEimRecord */
	GPtrArray    *faults;           /* EimFault */
	GPtrArray    *cis;              /* EsimCert */
	EimRelay     *relay;
	gboolean      forward_notifications;
	GHashTable   *connection_eids;  /* connection key -> EID of its last GetEimPackage */
	GPtrArray    *pending;          /* PendingRequest */
	GPtrArray    *anchor_files;     /* CA files of the databases handed out, removed at the end */
	GHashTable   *seen_unknown;     /* seqNumbers of notifications of no known EID */
	guint         next_package_id;
	guint         next_record_id;
	guint         requests;
	guint         function_requests[ESIM_TEST_EIM_N_FUNCTIONS];
	guint64       http_bytes_received;
	guint64       http_bytes_sent;
	guint         empty_status[2];  /* per binding: the status of an answer without data */
};

enum {
	SIGNAL_RECORD_ADDED,
	SIGNAL_REQUEST,
	N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_TYPE (EsimTestEim, esim_test_eim, G_TYPE_OBJECT)

guint
eim_function_index (EsimTestEimFunction function)
{
	for (guint i = 0; i < ESIM_TEST_EIM_N_FUNCTIONS; i++) {
		if (function == (1u << i))
			return i;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* per-EID state */

static void
delivery_free (EsimTestEimDelivery *delivery)
{
	g_free (delivery->eid);
	g_clear_pointer (&delivery->tlv, g_bytes_unref);
	g_clear_pointer (&delivery->eim_transaction_id, g_bytes_unref);
	g_clear_pointer (&delivery->signed_data, g_bytes_unref);
	g_clear_pointer (&delivery->signature, g_bytes_unref);
	g_free (delivery->activation_code);
	g_free (delivery->faults);
	g_free (delivery);
}

static void
queued_package_free (QueuedPackage *queued)
{
	esim_test_eim_package_free (queued->package);
	g_free (queued);
}

static void
euicc_free (EimEuicc *euicc)
{
	g_free (euicc->eid);
	g_bytes_unref (euicc->eid_bytes);
	g_queue_clear_full (&euicc->queue, (GDestroyNotify) queued_package_free);
	g_clear_pointer (&euicc->certificate, esim_cert_unref);
	g_clear_pointer (&euicc->euicc_info1, g_bytes_unref);
	g_ptr_array_unref (euicc->deliveries);
	g_array_unref (euicc->acknowledged);
	g_hash_table_unref (euicc->seen);
	g_free (euicc);
}

EimEuicc *
eim_core_euicc_lookup (EsimTestEim *self, const gchar *eid)
{
	return eid != NULL ? g_hash_table_lookup (self->euiccs, eid) : NULL;
}

static EimEuicc *
euicc_ensure (EsimTestEim *self, const gchar *eid, GError **error)
{
	EimEuicc *euicc = eim_core_euicc_lookup (self, eid);
	g_autoptr(GBytes) bytes = NULL;

	if (euicc != NULL)
		return euicc;
	bytes = eim_eid_to_bytes (eid, error);
	if (bytes == NULL)
		return NULL;
	euicc = g_new0 (EimEuicc, 1);
	euicc->eid = g_strdup (eid);
	euicc->eid_bytes = g_steal_pointer (&bytes);
	g_queue_init (&euicc->queue);
	euicc->counter = self->initial_counter;
	euicc->deliveries = g_ptr_array_new_with_free_func ((GDestroyNotify) delivery_free);
	euicc->acknowledged = g_array_new (FALSE, FALSE, sizeof (gint64));
	euicc->seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
	euicc->max_seq = -1;
	euicc->last_state_change_cause = -1;
	g_hash_table_insert (self->euiccs, euicc->eid, euicc);
	return euicc;
}

/* eidValue as the IPA sent it: 0, or the GetEimPackage / ProvideEimPackageResult
 * error (missingEid 4, invalidEid 3, eidNotFound 2). */
static gint64
euicc_for_request (EsimTestEim *self, GBytes *eid, EimEuicc **out)
{
	g_autofree gchar *text = NULL;
	gsize len;
	const guint8 *data;

	*out = NULL;
	if (eid == NULL)
		return EIM_PACKAGE_ERROR_MISSING_EID;
	data = g_bytes_get_data (eid, &len);
	if (len != ESIM_EID_LENGTH)
		return EIM_PACKAGE_ERROR_INVALID_EID;
	for (gsize i = 0; i < len; i++) {
		if ((data[i] >> 4) > 9 || (data[i] & 0x0F) > 9)
			return EIM_PACKAGE_ERROR_INVALID_EID;
	}
	text = eim_eid_from_bytes (eid);
	*out = eim_core_euicc_lookup (self, text);
	if (*out == NULL && self->accept_any_eid)
		*out = euicc_ensure (self, text, NULL);
	return *out != NULL ? 0 : EIM_PACKAGE_ERROR_EID_NOT_FOUND;
}

/* ------------------------------------------------------------------------ */
/* faults */

static void
fault_free (EimFault *fault)
{
	g_free (fault->eid);
	g_free (fault);
}

void
esim_test_eim_add_fault (EsimTestEim *self, const EsimTestEimFault *fault)
{
	EimFault *copy = g_new0 (EimFault, 1);

	g_return_if_fail (ESIM_IS_TEST_EIM (self));
	copy->fault = *fault;
	copy->eid = g_strdup (fault->eid);
	copy->fault.eid = copy->eid;
	copy->remaining = fault->count;
	g_ptr_array_add (self->faults, copy);
}

void
esim_test_eim_clear_faults (EsimTestEim *self)
{
	g_return_if_fail (ESIM_IS_TEST_EIM (self));
	g_ptr_array_set_size (self->faults, 0);
}

static const gchar *const fault_names[] = {
	[ESIM_TEST_EIM_FAULT_HTTP_STATUS] = "http-status",
	[ESIM_TEST_EIM_FAULT_NO_ANSWER] = "no-answer",
	[ESIM_TEST_EIM_FAULT_DROP_CONNECTION] = "drop-connection",
	[ESIM_TEST_EIM_FAULT_WRONG_COUNTER] = "wrong-counter",
	[ESIM_TEST_EIM_FAULT_REPLAY] = "replay",
	[ESIM_TEST_EIM_FAULT_BAD_SIGNATURE] = "bad-signature",
	[ESIM_TEST_EIM_FAULT_WRONG_EIM_ID] = "wrong-eim-id",
	[ESIM_TEST_EIM_FAULT_WRONG_EID] = "wrong-eid",
	[ESIM_TEST_EIM_FAULT_PACKAGE_ERROR] = "package-error",
	[ESIM_TEST_EIM_FAULT_PROVIDE_ERROR] = "provide-error",
	[ESIM_TEST_EIM_FAULT_NO_ACKNOWLEDGEMENT] = "no-acknowledgement",
};

const gchar *
esim_test_eim_fault_kind_name (EsimTestEimFaultKind kind)
{
	return kind < G_N_ELEMENTS (fault_names) ? fault_names[kind] : "unknown";
}

gboolean
esim_test_eim_fault_kind_from_name (const gchar *name, EsimTestEimFaultKind *kind)
{
	for (guint i = 0; name != NULL && i < G_N_ELEMENTS (fault_names); i++) {
		if (g_str_equal (fault_names[i], name)) {
			*kind = (EsimTestEimFaultKind) i;
			return TRUE;
		}
	}
	return FALSE;
}

static gboolean
is_http_fault (EsimTestEimFaultKind kind)
{
	return kind == ESIM_TEST_EIM_FAULT_HTTP_STATUS || kind == ESIM_TEST_EIM_FAULT_NO_ANSWER ||
	       kind == ESIM_TEST_EIM_FAULT_DROP_CONNECTION;
}

/* Takes the first fault of @kind (or, with @kind -1, the first HTTP fault of
 * phase @after) that hits a request to @function for @eid; FALSE if none. */
static gboolean
take_fault (EsimTestEim *self, const gchar *eid, EsimTestEimFunction function, gint kind, gboolean after,
            EsimTestEimFault *out)
{
	for (guint i = 0; i < self->faults->len; i++) {
		EimFault *fault = g_ptr_array_index (self->faults, i);

		if (kind >= 0 ? (gint) fault->fault.kind != kind
		              : !is_http_fault (fault->fault.kind) || fault->fault.after_processing != after)
			continue;
		if (fault->eid != NULL && g_strcmp0 (fault->eid, eid) != 0)
			continue;
		if (fault->fault.functions != 0 && (fault->fault.functions & function) == 0)
			continue;
		*out = fault->fault;
		out->eid = NULL;
		if (fault->remaining > 0 && --fault->remaining == 0)
			g_ptr_array_remove_index (self->faults, i);
		g_debug ("fault %s on %s", esim_test_eim_fault_kind_name (out->kind),
		         esim_test_eim_function_name (function));
		return TRUE;
	}
	return FALSE;
}

/* ------------------------------------------------------------------------ */
/* records */

static void
record_free (EsimTestEimRecord *record)
{
	g_free (record->eid);
	g_clear_pointer (&record->tlv, g_bytes_unref);
	g_free (record->eim_id);
	g_clear_pointer (&record->eim_transaction_id, g_bytes_unref);
	g_free (record->summary);
	g_free (record->problems);
	g_free (record);
}

static void
record_problem (EsimTestEimRecord *record, const gchar *format, ...) G_GNUC_PRINTF (2, 3);

static void
record_problem (EsimTestEimRecord *record, const gchar *format, ...)
{
	va_list args;
	g_autofree gchar *problem = NULL;
	gchar *joined;

	va_start (args, format);
	problem = g_strdup_vprintf (format, args);
	va_end (args);
	joined = record->problems != NULL ? g_strdup_printf ("%s; %s", record->problems, problem)
	                                  : g_strdup (problem);
	g_free (record->problems);
	record->problems = joined;
}

static EsimTestEimRecord *
record_new (EsimTestEim *self, EimEuicc *euicc, EsimTestEimRecordKind kind, EsimTestEimFunction via,
            EsimTestEimBinding binding, GBytes *tlv)
{
	EsimTestEimRecord *record = g_new0 (EsimTestEimRecord, 1);

	record->id = ++self->next_record_id;
	record->eid = euicc != NULL ? g_strdup (euicc->eid) : NULL;
	record->kind = kind;
	record->via = via;
	record->binding = binding;
	record->tlv = g_bytes_ref (tlv);
	record->seq_number = -1;
	record->counter = -1;
	record->error_code = -1;
	return record;
}

static void
record_add (EsimTestEim *self, EsimTestEimRecord *record)
{
	g_autofree gchar *eid = esim_log_personal (record->eid);

	g_ptr_array_add (self->records, record);
	g_debug ("record %u from %s: %s%s%s", record->id, eid, record->summary != NULL ? record->summary : "",
	           record->problems != NULL ? " — " : "", record->problems != NULL ? record->problems : "");
	g_signal_emit (self, signals[SIGNAL_RECORD_ADDED], 0, record);
}

/* A sequence number seen again is a duplicate delivery; one below the highest
 * seen is out of order (they come from one counter on the eUICC, digest §3.5). */
static void
check_seq (EsimTestEim *self, EimEuicc *euicc, EsimTestEimRecord *record)
{
	GHashTable *seen = euicc != NULL ? euicc->seen : self->seen_unknown;
	gint64 *key;

	if (record->seq_number < 0)
		return;
	if (g_hash_table_contains (seen, &record->seq_number)) {
		record->duplicate = TRUE;
		record_problem (record, "seqNumber %" G_GINT64_FORMAT " delivered before", record->seq_number);
		return;
	}
	key = g_new (gint64, 1);
	*key = record->seq_number;
	g_hash_table_add (seen, key);
	if (euicc != NULL) {
		if (record->seq_number < euicc->max_seq)
			record_problem (record, "seqNumber %" G_GINT64_FORMAT " below %" G_GINT64_FORMAT " seen before",
			                record->seq_number, euicc->max_seq);
		euicc->max_seq = MAX (euicc->max_seq, record->seq_number);
	}
}

static EsimTestEimDelivery *
find_delivery (EimEuicc *euicc, EsimTestEimPackageKind kind, GBytes *transaction_id, gint64 counter)
{
	if (euicc == NULL)
		return NULL;
	for (guint i = euicc->deliveries->len; i > 0; i--) {
		EsimTestEimDelivery *delivery = g_ptr_array_index (euicc->deliveries, i - 1);

		if (delivery->kind != kind)
			continue;
		if (transaction_id != NULL ? delivery->eim_transaction_id != NULL &&
		                             g_bytes_equal (delivery->eim_transaction_id, transaction_id)
		                           : counter >= 0 && delivery->counter == counter)
			return delivery;
	}
	return NULL;
}

static EimEuicc *
euicc_by_transaction_id (EsimTestEim *self, GBytes *transaction_id)
{
	GHashTableIter iter;
	EimEuicc *euicc;

	if (transaction_id == NULL)
		return NULL;
	g_hash_table_iter_init (&iter, self->euiccs);
	while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &euicc)) {
		for (guint i = 0; i < euicc->deliveries->len; i++) {
			EsimTestEimDelivery *delivery = g_ptr_array_index (euicc->deliveries, i);

			if (delivery->eim_transaction_id != NULL &&
			    g_bytes_equal (delivery->eim_transaction_id, transaction_id))
				return euicc;
		}
	}
	return NULL;
}

/* euiccSignEPR / euiccSignEPE over DER(…DataSigned) ‖ associationToken TLV
 * (SGP.32 §2.11.2.1 as onomondo-eim quotes it in crypto_utils.erl
 * verify_euiccPackageResultSigned; digest §3.5: "84 01 00" when none),
 * checked over the bytes as received. */
static void
check_signature (EimEuicc *euicc, EsimTestEimRecord *record, const EimResultInfo *info)
{
	g_autoptr(GBytes) signed_data = NULL;
	g_autoptr(GBytes) input = NULL;
	g_autoptr(GError) error = NULL;
	gsize len;
	const guint8 *data;

	if (info->signed_raw == NULL) {
		record->signature = ESIM_TEST_EIM_SIGNATURE_NONE;
		return;
	}
	if (euicc == NULL || euicc->certificate == NULL) {
		record->signature = ESIM_TEST_EIM_SIGNATURE_UNVERIFIED;
		return;
	}
	signed_data = g_bytes_new (info->signed_raw, info->signed_len);
	input = eim_build_signature_input (signed_data, euicc->has_token, euicc->token);
	data = g_bytes_get_data (input, &len);
	if (esim_cert_verify_signature (euicc->certificate, data, len, info->signature, info->signature_len,
	                                &error)) {
		record->signature = ESIM_TEST_EIM_SIGNATURE_VALID;
	} else {
		record->signature = ESIM_TEST_EIM_SIGNATURE_INVALID;
		record_problem (record, "signature: %s", error->message);
	}
}

/* The checks on an EuiccPackageResult: whose, which package, counter, signature. */
static void
check_euicc_package_result (EsimTestEim *self, EimEuicc *euicc, EsimTestEimRecord *record,
                            const EimResultInfo *info)
{
	EsimTestEimDelivery *delivery;

	if (g_strcmp0 (info->eim_id, self->eim_id) != 0)
		record_problem (record, "eimId '%s' is not this eIM's", info->eim_id);
	delivery = find_delivery (euicc, ESIM_TEST_EIM_PACKAGE_EUICC, info->eim_transaction_id, info->counter);
	if (delivery == NULL) {
		record_problem (record, "answers no package this eIM sent");
	} else {
		record->package_id = delivery->id;
		/* the result echoes the package's counterValue (V5) */
		if (info->counter >= 0 && info->counter != delivery->counter)
			record_problem (record, "counterValue %" G_GINT64_FORMAT ", the package had %" G_GINT64_FORMAT,
			                info->counter, delivery->counter);
	}
	check_signature (euicc, record, info);
	check_seq (self, euicc, record);
}

/* Learns the eUICC certificate of an IpaEuiccData or a relayed
 * AuthenticateServerResponse, when it chains to a CI this eIM knows and names
 * the EID (onomondo-eim crypto_utils.erl store_euicc_pubkey). */
static void
learn_certificate (EsimTestEim *self, EimEuicc *euicc, GBytes *euicc_der, GBytes *eum_der,
                   EsimTestEimRecord *record)
{
	g_autoptr(EsimCert) leaf = NULL;
	g_autoptr(EsimCert) eum = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *eid = NULL;
	gsize len;
	const guint8 *data;

	if (euicc == NULL || euicc_der == NULL || euicc->certificate != NULL)
		return;
	data = g_bytes_get_data (euicc_der, &len);
	leaf = esim_cert_new_from_der (data, len, &error);
	if (leaf != NULL && eum_der != NULL) {
		data = g_bytes_get_data (eum_der, &len);
		eum = esim_cert_new_from_der (data, len, &error);
	}
	if (leaf == NULL || eum == NULL) {
		if (record != NULL)
			record_problem (record, "eUICC certificate not learnt: %s",
			                error != NULL ? error->message : "no EUM certificate with it");
		return;
	}
	if (self->cis->len == 0 ||
	    !esim_cert_verify_chain (leaf, ESIM_CERT_ROLE_EUICC, eum, self->cis, NULL, ESIM_CERT_TIME_NOW, NULL,
	                             &error)) {
		if (record != NULL)
			record_problem (record, "eUICC certificate not learnt: %s",
			                error != NULL ? error->message : "no CI to check it against");
		return;
	}
	eid = esim_cert_dup_subject_serial_number (leaf);
	if (g_strcmp0 (eid, euicc->eid) != 0) {
		if (record != NULL)
			record_problem (record, "eUICC certificate not learnt: it is for EID %s", eid);
		return;
	}
	euicc->certificate = g_steal_pointer (&leaf);
	g_debug ("eUICC certificate learnt");
}


static void
forward (EsimTestEim *self, GBytes *notification, const gchar *address)
{
	if (self->forward_notifications)
		eim_relay_forward_notification (self->relay, notification, address);
}

/* A PendingNotification, alone (HandleNotification) or in a list. */
static EsimTestEimRecord *
process_notification (EsimTestEim *self, EimEuicc *euicc, GBytes *tlv, EsimTestEimFunction via,
                      EsimTestEimBinding binding, GArray *acks)
{
	EsimTestEimRecord *record = record_new (self, euicc, ESIM_TEST_EIM_RECORD_NOTIFICATION, via, binding, tlv);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *address = NULL;
	EsimTlv top;
	gsize len;
	const guint8 *data = g_bytes_get_data (tlv, &len);

	if (!eim_parse_notification (tlv, &record->seq_number, &address, &record->summary, &error)) {
		record_problem (record, "%s", error->message);
		record_add (self, record);
		return record;
	}
	check_seq (self, euicc, record);
	if (acks != NULL) {
		g_array_append_val (acks, record->seq_number);
		record->acknowledged = TRUE;
	}
	/* the compact forms cannot go to an SM-DP+ as they are (onomondo-eim does
	 * not take them either) */
	if (esim_tlv_parse_exact (data, len, &top, NULL) &&
	    (top.tag == ESIM_TAG_PROFILE_INSTALLATION_RESULT || top.tag == ESIM_TAG_SEQUENCE))
		forward (self, tlv, address);
	record_add (self, record);
	return record;
}

static void
process_data (EsimTestEim *self, EimEuicc *euicc, EsimTestEimRecord *record, const EimResultInfo *info,
              EsimTestEimFunction via, EsimTestEimBinding binding, GArray *acks)
{
	EsimTestEimDelivery *delivery;

	delivery = find_delivery (euicc, ESIM_TEST_EIM_PACKAGE_DATA_REQUEST, info->eim_transaction_id, -1);
	if (delivery != NULL)
		record->package_id = delivery->id;
	if (euicc != NULL && info->has_association_token) {
		euicc->has_token = TRUE;
		euicc->token = info->association_token;
	}
	if (euicc != NULL && info->euicc_info1 != NULL) {
		g_clear_pointer (&euicc->euicc_info1, g_bytes_unref);
		euicc->euicc_info1 = g_bytes_ref (info->euicc_info1);
	}
	learn_certificate (self, euicc, info->euicc_certificate, info->eum_certificate, record);
}

/* What a result carries besides itself, recorded after it: the notifications
 * of ePRAndNotifications or of an IpaEuiccData, and an IpaEuiccData's
 * euiccPackageResultList; delivered with it, so acknowledged ("Fourth pass"). */
static void
process_embedded (EsimTestEim *self, EimEuicc *euicc, const EimResultInfo *info, EsimTestEimFunction via,
                  EsimTestEimBinding binding, GArray *acks)
{
	for (guint i = 0; info->embedded_notifications != NULL && i < info->embedded_notifications->len; i++)
		process_notification (self, euicc, g_ptr_array_index (info->embedded_notifications, i), via, binding,
		                      acks);
	for (guint i = 0; info->embedded_results != NULL && i < info->embedded_results->len; i++) {
		g_autoptr(GError) error = NULL;

		/* a list entry that does not parse is recorded as malformed */
		eim_core_process_result (self, euicc, g_ptr_array_index (info->embedded_results, i), via, binding, FALSE,
		                         acks, &error);
	}
}

/* Records one EimPackageResult (or TransferEimPackageResponse alternative),
 * checks it and adds the sequence numbers it accepts to @acks.  Returns the
 * record, or NULL when the result does not parse (a record of the bytes is
 * kept all the same). */
EsimTestEimRecord *
eim_core_process_result (EsimTestEim *self, EimEuicc *euicc, GBytes *tlv, EsimTestEimFunction via,
                EsimTestEimBinding binding, gboolean transfer, GArray *acks, GError **error)
{
	EimResultInfo info;
	EsimTestEimRecord *record;
	EsimTestEimDelivery *delivery;
	g_autoptr(GError) local = NULL;

	if (!eim_parse_package_result (tlv, transfer, &info, &local)) {
		record = record_new (self, euicc, ESIM_TEST_EIM_RECORD_MALFORMED, via, binding, tlv);
		record->summary = g_strdup ("malformed");
		record_problem (record, "%s", local->message);
		record_add (self, record);
		eim_result_info_clear (&info);
		g_propagate_error (error, g_steal_pointer (&local));
		return NULL;
	}
	record = record_new (self, euicc, info.kind, via, binding, tlv);
	record->eim_id = g_strdup (info.eim_id);
	record->seq_number = info.seq_number;
	record->counter = info.counter;
	record->error_code = info.error_code;
	record->eim_transaction_id = info.eim_transaction_id != NULL ? g_bytes_ref (info.eim_transaction_id) : NULL;
	record->summary = g_strdup (info.summary);
	switch (info.kind) {
	case ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT:
	case ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_ERROR:
	case ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_ERROR_UNSIGNED:
		check_euicc_package_result (self, euicc, record, &info);
		break;
	case ESIM_TEST_EIM_RECORD_IPA_EUICC_DATA:
	case ESIM_TEST_EIM_RECORD_IPA_EUICC_DATA_ERROR:
		process_data (self, euicc, record, &info, via, binding, acks);
		break;
	case ESIM_TEST_EIM_RECORD_DOWNLOAD_RESULT:
	case ESIM_TEST_EIM_RECORD_DOWNLOAD_ERROR:
		delivery = find_delivery (euicc, ESIM_TEST_EIM_PACKAGE_DOWNLOAD, info.eim_transaction_id, -1);
		if (delivery != NULL)
			record->package_id = delivery->id;
		check_seq (self, euicc, record);
		if (info.installation_result != NULL) {
			g_autofree gchar *address = NULL;
			gint64 seq;

			eim_parse_notification (info.installation_result, &seq, &address, NULL, NULL);
			forward (self, info.installation_result, address);
		}
		break;
	case ESIM_TEST_EIM_RECORD_PACKAGE_RESULT_ERROR:
	case ESIM_TEST_EIM_RECORD_PACKAGE_RECEIVED:
	case ESIM_TEST_EIM_RECORD_TRANSFER_ERROR:
	default:
		delivery = find_delivery (euicc, ESIM_TEST_EIM_PACKAGE_EUICC, info.eim_transaction_id, -1);
		if (delivery == NULL)
			delivery = find_delivery (euicc, ESIM_TEST_EIM_PACKAGE_DATA_REQUEST, info.eim_transaction_id, -1);
		if (delivery != NULL)
			record->package_id = delivery->id;
		break;
	}
	/* accepted: a result of this eIM with a sequence number whose signature
	 * is not wrong (unverified when no certificate is known) */
	if (record->seq_number >= 0 && acks != NULL && record->signature != ESIM_TEST_EIM_SIGNATURE_INVALID &&
	    (record->eim_id == NULL || g_str_equal (record->eim_id, self->eim_id))) {
		g_array_append_val (acks, record->seq_number);
		record->acknowledged = TRUE;
	}
	record_add (self, record);
	process_embedded (self, euicc, &info, via, binding, acks);
	eim_result_info_clear (&info);
	return record;
}

void
eim_core_note_acknowledged (EimEuicc *euicc, GArray *acks)
{
	if (euicc != NULL && acks->len > 0)
		g_array_append_vals (euicc->acknowledged, acks->data, acks->len);
}

/* ------------------------------------------------------------------------ */
/* delivering packages */

typedef struct {
	gboolean replay;
	gboolean wrong_counter;
	gint64   counter;
	gboolean bad_signature;
	gboolean wrong_eim_id;
	gboolean wrong_eid;
} PackageFaults;

/* The faults that hit this delivery: only those that can change it (a
 * replay needs an euiccPackageRequest sent before, the signing faults an
 * euiccPackageRequest this eIM signs now). */
static void
take_package_faults (EsimTestEim *self, EimEuicc *euicc, EsimTestEimFunction function,
                     const EsimTestEimPackage *next, PackageFaults *faults)
{
	EsimTestEimFault fault;
	gboolean sent_before = FALSE;

	memset (faults, 0, sizeof (*faults));
	for (guint i = 0; i < euicc->deliveries->len && !sent_before; i++)
		sent_before = ((EsimTestEimDelivery *) g_ptr_array_index (euicc->deliveries, i))->kind ==
		              ESIM_TEST_EIM_PACKAGE_EUICC;
	if (sent_before)
		faults->replay = take_fault (self, euicc->eid, function, ESIM_TEST_EIM_FAULT_REPLAY, FALSE, &fault);
	if (faults->replay || next == NULL || next->kind != ESIM_TEST_EIM_PACKAGE_EUICC || next->raw != NULL)
		return;
	faults->wrong_counter = take_fault (self, euicc->eid, function, ESIM_TEST_EIM_FAULT_WRONG_COUNTER, FALSE, &fault);
	faults->counter = faults->wrong_counter ? fault.value : 0;
	faults->bad_signature = take_fault (self, euicc->eid, function, ESIM_TEST_EIM_FAULT_BAD_SIGNATURE, FALSE, &fault);
	faults->wrong_eim_id = take_fault (self, euicc->eid, function, ESIM_TEST_EIM_FAULT_WRONG_EIM_ID, FALSE, &fault);
	faults->wrong_eid = take_fault (self, euicc->eid, function, ESIM_TEST_EIM_FAULT_WRONG_EID, FALSE, &fault);
}

static gchar *
describe_faults (const PackageFaults *faults)
{
	g_autoptr(GString) text = g_string_new (NULL);

	if (faults->replay)
		g_string_append (text, " replay");
	if (faults->wrong_counter)
		g_string_append (text, " wrong-counter");
	if (faults->bad_signature)
		g_string_append (text, " bad-signature");
	if (faults->wrong_eim_id)
		g_string_append (text, " wrong-eim-id");
	if (faults->wrong_eid)
		g_string_append (text, " wrong-eid");
	return text->len > 0 ? g_strdup (text->str + 1) : NULL;
}

/* Signs an euiccPackageRequest: eimSignature = ECDSA (SHA-256) r‖s over
 * DER(EuiccPackageSigned) ‖ 84 L associationToken, "84 01 00" when none
 * (digest §3.5; onomondo-eim crypto_utils.erl sign_euiccPackageSigned). */
static gboolean
sign_package (EsimTestEim *self, EimEuicc *euicc, const EsimTestEimPackage *package, const PackageFaults *faults,
              EsimTestEimDelivery *delivery, GError **error)
{
	g_autoptr(GBytes) eid = g_bytes_ref (euicc->eid_bytes);
	g_autoptr(GBytes) input = NULL;
	g_autofree gchar *eim_id = faults->wrong_eim_id ? g_strdup_printf ("not-%s", self->eim_id)
	                                                : g_strdup (self->eim_id);
	guint8 signature[ESIM_ECDSA_RAW_LEN];
	gsize len;
	const guint8 *data;

	if (faults->wrong_counter) {
		delivery->counter = faults->counter >= 0 ? faults->counter : euicc->counter;
	} else {
		delivery->counter = ++euicc->counter;
	}
	if (faults->wrong_eid) {
		guint8 other[ESIM_EID_LENGTH];

		memcpy (other, g_bytes_get_data (euicc->eid_bytes, NULL), sizeof (other));
		other[ESIM_EID_LENGTH - 1] ^= 0x01;   /* still decimal digits, another EID */
		g_bytes_unref (eid);
		eid = g_bytes_new (other, sizeof (other));
	}
	delivery->signed_data = eim_build_euicc_package_signed (eim_id, eid, delivery->counter,
	                                                        delivery->eim_transaction_id, package);
	input = eim_build_signature_input (delivery->signed_data, euicc->has_token, euicc->token);
	data = g_bytes_get_data (input, &len);
	if (!esim_ecdsa_sign (self->credentials.signing_key, data, len, signature, error))
		return FALSE;
	if (faults->bad_signature)
		signature[ESIM_ECDSA_RAW_LEN - 1] ^= 0x01;
	delivery->signature = g_bytes_new (signature, sizeof (signature));
	delivery->tlv = eim_build_euicc_package_request (delivery->signed_data, signature, sizeof (signature));
	return TRUE;
}

static GBytes *
random_transaction_id (void)
{
	guint8 id[TRANSACTION_ID_LENGTH];

	for (gsize i = 0; i < sizeof (id); i++)
		id[i] = (guint8) g_random_int_range (0, 256);
	return g_bytes_new (id, sizeof (id));
}

/* The next package queued for @euicc (acknowledgements only for a push),
 * built, signed and recorded as a delivery; NULL when there is none. */
EsimTestEimDelivery *
eim_core_deliver_next (EsimTestEim *self, EimEuicc *euicc, EsimTestEimFunction via, GError **error)
{
	PackageFaults faults;
	QueuedPackage *queued = NULL;
	EsimTestEimDelivery *delivery;
	EsimTestEimPackage *package;

	GList *next = NULL;

	for (GList *l = euicc->queue.head; l != NULL && next == NULL; l = l->next) {
		QueuedPackage *candidate = l->data;

		/* GetEimPackage has no eimAcknowledgements answer: those wait for a push */
		if (candidate->package->kind != ESIM_TEST_EIM_PACKAGE_ACKNOWLEDGEMENTS ||
		    via == ESIM_TEST_EIM_FUNCTION_TRANSFER_EIM_PACKAGE)
			next = l;
	}
	take_package_faults (self, euicc, via, next != NULL ? ((QueuedPackage *) next->data)->package : NULL,
	                     &faults);
	if (faults.replay) {
		/* the last package for this EID, byte for byte */
		for (guint i = euicc->deliveries->len; i > 0; i--) {
			EsimTestEimDelivery *last = g_ptr_array_index (euicc->deliveries, i - 1);

			if (last->kind != ESIM_TEST_EIM_PACKAGE_EUICC)
				continue;
			delivery = g_new0 (EsimTestEimDelivery, 1);
			*delivery = *last;
			delivery->id = ++self->next_package_id;
			delivery->eid = g_strdup (last->eid);
			delivery->via = via;
			delivery->tlv = g_bytes_ref (last->tlv);
			delivery->eim_transaction_id = last->eim_transaction_id != NULL
			                               ? g_bytes_ref (last->eim_transaction_id) : NULL;
			delivery->signed_data = last->signed_data != NULL ? g_bytes_ref (last->signed_data) : NULL;
			delivery->signature = last->signature != NULL ? g_bytes_ref (last->signature) : NULL;
			delivery->activation_code = NULL;
			delivery->faults = g_strdup ("replay");
			g_ptr_array_add (euicc->deliveries, delivery);
			return delivery;
		}
	}
	if (next != NULL) {
		queued = next->data;
		g_queue_delete_link (&euicc->queue, next);
	}
	if (queued == NULL)
		return NULL;
	package = queued->package;
	delivery = g_new0 (EsimTestEimDelivery, 1);
	delivery->id = queued->id;
	delivery->eid = g_strdup (euicc->eid);
	delivery->kind = package->kind;
	delivery->via = via;
	delivery->counter = -1;
	delivery->faults = describe_faults (&faults);
	if (package->transaction_id_set)
		delivery->eim_transaction_id = package->transaction_id != NULL ? g_bytes_ref (package->transaction_id)
		                                                               : NULL;
	else if (package->raw == NULL)
		delivery->eim_transaction_id = random_transaction_id ();
	if (package->kind == ESIM_TEST_EIM_PACKAGE_DOWNLOAD)
		delivery->activation_code = g_strdup (package->activation_code);
	if (package->raw != NULL) {
		delivery->tlv = g_bytes_ref (package->raw);
	} else if (package->kind == ESIM_TEST_EIM_PACKAGE_EUICC) {
		if (!sign_package (self, euicc, package, &faults, delivery, error)) {
			delivery_free (delivery);
			queued_package_free (queued);
			return NULL;
		}
	} else {
		delivery->tlv = eim_build_unsigned_package (package, delivery->eim_transaction_id);
	}
	queued_package_free (queued);
	g_ptr_array_add (euicc->deliveries, delivery);
	return delivery;
}

/* ------------------------------------------------------------------------ */
/* the functions */

static const gchar *
connection_eid (EsimTestEim *self, SoupServerMessage *msg)
{
	g_autofree gchar *key = eim_listener_connection_key (msg);

	return g_hash_table_lookup (self->connection_eids, key);
}

/* GetEimPackage (SGP.32 §6.3.2.6; onomondo-eim esipa_asn1_handler.erl
 * getEimPackageRequest): the next package, noEimPackageAvailable when none. */
static void
handle_get_eim_package (EsimTestEim *self, SoupServerMessage *msg, const EimRequest *request, EimAnswer *answer)
{
	g_autoptr(GError) error = NULL;
	EsimTestEimDelivery *delivery;
	EsimTestEimFault fault;
	EimEuicc *euicc;
	gint64 code = euicc_for_request (self, request->eid, &euicc);

	if (euicc == NULL) {
		answer->error_code = code;
		return;
	}
	g_hash_table_replace (self->connection_eids, eim_listener_connection_key (msg), g_strdup (euicc->eid));
	if (request->notify_state_change) {
		euicc->state_changes++;
		euicc->last_state_change_cause = request->state_change_cause;
	}
	if (take_fault (self, euicc->eid, request->function, ESIM_TEST_EIM_FAULT_PACKAGE_ERROR, FALSE, &fault)) {
		answer->error_code = fault.value > 0 ? fault.value : EIM_ERROR_UNDEFINED;
		return;
	}
	delivery = eim_core_deliver_next (self, euicc, request->function, &error);
	if (delivery == NULL) {
		if (error != NULL)
			g_warning ("cannot build a package: %s", error->message);
		answer->error_code = error != NULL ? EIM_ERROR_UNDEFINED : EIM_PACKAGE_ERROR_NO_PACKAGE;
		return;
	}
	answer->package_kind = delivery->kind;
	answer->package = g_bytes_ref (delivery->tlv);
}

/* ProvideEimPackageResult (§6.3.2.7) and HandleNotification carrying one. */
static gboolean
handle_provide (EsimTestEim *self, SoupServerMessage *msg, const EimRequest *request, EimAnswer *answer,
                GError **error)
{
	g_autoptr(GArray) acks = g_array_new (FALSE, FALSE, sizeof (gint64));
	EsimTestEimFault fault;
	EimEuicc *euicc = NULL;
	EimResultInfo info;
	guint first;

	if (request->eid != NULL) {
		gint64 code = euicc_for_request (self, request->eid, &euicc);

		if (euicc == NULL) {
			answer->error_code = code;
			return TRUE;
		}
	} else {
		/* v1.2 made eidValue optional: the connection or the package tells */
		euicc = eim_core_euicc_lookup (self, connection_eid (self, msg));
		if (euicc == NULL) {
			if (eim_parse_package_result (request->eim_package_result, FALSE, &info, NULL))
				euicc = euicc_by_transaction_id (self, info.eim_transaction_id);
			eim_result_info_clear (&info);
		}
		if (euicc == NULL) {
			answer->error_code = EIM_PACKAGE_ERROR_MISSING_EID;
			return TRUE;
		}
	}
	if (take_fault (self, euicc->eid, request->function, ESIM_TEST_EIM_FAULT_PROVIDE_ERROR, FALSE, &fault)) {
		answer->error_code = fault.value > 0 ? fault.value : EIM_ERROR_UNDEFINED;
		return TRUE;
	}
	first = self->records->len;
	if (eim_core_process_result (self, euicc, request->eim_package_result, request->function, request->binding, FALSE,
	                    acks, error) == NULL)
		return FALSE;
	if (take_fault (self, euicc->eid, request->function, ESIM_TEST_EIM_FAULT_NO_ACKNOWLEDGEMENT, FALSE, &fault)) {
		for (guint i = first; i < self->records->len; i++)
			((EsimTestEimRecord *) g_ptr_array_index (self->records, i))->acknowledged = FALSE;
		g_array_set_size (acks, 0);
	}
	eim_core_note_acknowledged (euicc, acks);
	/* "eimAcknowledgements carries sequence numbers of notifications delivered
	 * … or bundled with an eUICC package result; with nothing to acknowledge
	 * the eIM answers emptyResponse" ("Fourth pass") */
	answer->acknowledgements = g_steal_pointer (&acks);
	return TRUE;
}

/* The EID a notification belongs to: the eIdValue of a compact one, the
 * relayed download it ends, the connection, or the only eUICC known. */
static EimEuicc *
notification_euicc (EsimTestEim *self, SoupServerMessage *msg, GBytes *notification)
{
	EsimTlv top, field, data;
	gsize len;
	const guint8 *raw = g_bytes_get_data (notification, &len);
	EimEuicc *euicc = NULL;

	if (esim_tlv_parse_exact (raw, len, &top, NULL)) {
		if (top.tag == EIM_TAG_COMPACT_OSN && esim_tlv_find (&top, ESIM_TAG_EID, &field, NULL)) {
			g_autoptr(GBytes) eid = esim_tlv_dup_value (&field);
			g_autofree gchar *text = eim_eid_from_bytes (eid);

			euicc = eim_core_euicc_lookup (self, text);
		} else if (top.tag == ESIM_TAG_PROFILE_INSTALLATION_RESULT &&
		           esim_tlv_find (&top, EIM_TAG_PIR_DATA, &data, NULL) &&
		           esim_tlv_find (&data, EIM_TAG_PIR_TRANSACTION_ID, &field, NULL)) {
			g_autoptr(GBytes) tid = esim_tlv_dup_value (&field);

			euicc = eim_core_euicc_lookup (self, eim_relay_session_eid (self->relay, tid));
		}
	}
	if (euicc == NULL)
		euicc = eim_core_euicc_lookup (self, connection_eid (self, msg));
	if (euicc == NULL && g_hash_table_size (self->euiccs) == 1) {
		GHashTableIter iter;

		g_hash_table_iter_init (&iter, self->euiccs);
		g_hash_table_iter_next (&iter, NULL, (gpointer *) &euicc);
	}
	return euicc;
}

/* ------------------------------------------------------------------------ */
/* HTTP */

static void
count_response_bytes (const char *name, const char *value, gpointer user_data)
{
	*(guint64 *) user_data += strlen (name) + strlen (value) + 4;
}

static void
request_finished (SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
	EsimTestEim *self = user_data;
	guint64 bytes = 17 + 2;   /* "HTTP/1.1 200 OK\r\n" and the blank line */

	soup_message_headers_foreach (soup_server_message_get_response_headers (msg), count_response_bytes, &bytes);
	bytes += soup_server_message_get_response_body (msg)->length;
	self->http_bytes_sent += bytes;
}

static void
respond_plain (SoupServerMessage *msg, guint status, const gchar *text)
{
	soup_server_message_set_status (msg, status, NULL);
	soup_message_headers_replace (soup_server_message_get_response_headers (msg), "X-Admin-Protocol",
	                              ESIM_TEST_EIM_ADMIN_PROTOCOL);
	soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_COPY, text, strlen (text));
}

static void
pending_gone (SoupServerMessage *msg, PendingRequest *pending)
{
	pending->gone = TRUE;
}

static PendingRequest *
pending_new (EsimTestEim *self, SoupServerMessage *msg, EsimTestEimBinding binding, const gchar *eid)
{
	PendingRequest *pending = g_new0 (PendingRequest, 1);

	pending->self = self;
	pending->msg = g_object_ref (msg);
	pending->binding = binding;
	pending->eid = g_strdup (eid);
	g_signal_connect (msg, "finished", G_CALLBACK (pending_gone), pending);
	g_signal_connect (msg, "disconnected", G_CALLBACK (pending_gone), pending);
	soup_server_message_pause (msg);
	g_ptr_array_add (self->pending, pending);
	return pending;
}

static void
pending_free (PendingRequest *pending)
{
	g_signal_handlers_disconnect_by_data (pending->msg, pending);
	g_object_unref (pending->msg);
	g_free (pending->eid);
	g_free (pending);
}

static void
drop_after_body_data (SoupServerMessage *msg, guint chunk_size, EsimTestEim *self)
{
	g_signal_handlers_disconnect_by_func (msg, drop_after_body_data, self);
	if (self->listener != NULL)
		eim_listener_drop (self->listener, msg);
}

/* An HTTP fault: a status, silence, or a connection closed halfway through
 * the answer (@body: the answer it would have been, NULL before processing).
 * FALSE when the message must stay paused (@paused: it already is). */
static gboolean
apply_http_fault (EsimTestEim *self, SoupServerMessage *msg, const EsimTestEimFault *fault,
                  EsimTestEimBinding binding, GBytes *body, const gchar *content_type, gboolean paused)
{
	SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
	gsize len;
	const guint8 *data;

	switch (fault->kind) {
	case ESIM_TEST_EIM_FAULT_HTTP_STATUS:
		/* a status HTTP knows, 500 otherwise */
		soup_server_message_set_status (msg, fault->value >= 100 && fault->value <= 599 ? (guint) fault->value : 500,
		                                NULL);
		soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "", 0);
		return TRUE;
	case ESIM_TEST_EIM_FAULT_NO_ANSWER:
		/* kept paused until the client gives up and the connection closes */
		if (!paused)
			pending_new (self, msg, binding, NULL);
		return FALSE;
	case ESIM_TEST_EIM_FAULT_DROP_CONNECTION:
	default:
		if (body == NULL || g_bytes_get_size (body) < 2) {
			if (!paused)
				pending_new (self, msg, binding, NULL);
			eim_listener_drop (self->listener, msg);
			return FALSE;
		}
		/* the headers announce the whole answer, half of it goes out, then the close */
		data = g_bytes_get_data (body, &len);
		soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
		soup_message_headers_set_content_type (headers, content_type, NULL);
		soup_message_headers_set_content_length (headers, len);
		soup_message_body_append (soup_server_message_get_response_body (msg), SOUP_MEMORY_COPY, data, len / 2);
		g_signal_connect (msg, "wrote-body-data", G_CALLBACK (drop_after_body_data), self);
		return TRUE;
	}
}

/* Sets the answer; FALSE when a fault keeps the message paused. */
static gboolean
respond (EsimTestEim *self, SoupServerMessage *msg, EsimTestEimBinding binding, const EimAnswer *answer,
         const gchar *eid, gboolean paused)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) body = eim_answer_encode (answer, binding, &error);
	SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
	const gchar *content_type = binding == ESIM_TEST_EIM_BINDING_ASN1 ? ESIM_TEST_EIM_ASN1_CONTENT_TYPE
	                                                                  : ESIM_TEST_EIM_JSON_CONTENT_TYPE;
	EsimTestEimFault fault;
	gsize len = 0;
	const guint8 *data;

	soup_message_headers_replace (headers, "X-Admin-Protocol", ESIM_TEST_EIM_ADMIN_PROTOCOL);
	if (take_fault (self, eid, answer->function, -1, TRUE, &fault))
		return apply_http_fault (self, msg, &fault, binding, body, content_type, paused);
	if (body == NULL) {
		/* HandleNotification has no answer: onomondo-eim says 200 with an
		 * empty body, openiotrsp's JSON binding 204 (SGP.22 §6.3's rule) */
		guint status = self->empty_status[binding];
		static const gchar header_only[] = "{\"header\":{\"functionExecutionStatus\":"
		                                   "{\"status\":\"Executed-Success\"}}}";

		soup_server_message_set_status (msg, status, NULL);
		if (status == SOUP_STATUS_OK && binding == ESIM_TEST_EIM_BINDING_JSON)
			soup_server_message_set_response (msg, content_type, SOUP_MEMORY_STATIC, header_only,
			                                  strlen (header_only));
		return TRUE;
	}
	data = g_bytes_get_data (body, &len);
	soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response (msg, content_type, SOUP_MEMORY_COPY, (const gchar *) data, len);
	return TRUE;
}

static void
relay_answered (EimAnswer *answer, gpointer user_data)
{
	PendingRequest *pending = user_data;
	EsimTestEim *self = pending->self;
	gboolean hung = FALSE;

	if (!pending->gone) {
		if (respond (self, pending->msg, pending->binding, answer, pending->eid, TRUE))
			soup_server_message_unpause (pending->msg);
		else
			hung = TRUE;   /* a fault keeps it paused: the entry stays */
	}
	eim_answer_clear (answer);
	g_free (answer);
	if (!hung)
		g_ptr_array_remove (self->pending, pending);
}

/* Where an InitiateAuthentication goes: the order its eimTransactionId names,
 * else the last download this connection's EID was given (onomondo-eim binds
 * the order to the connection, esipa_asn1_handler.erl work_pickup), else the
 * smdpAddress the IPA names. */
static gint64
relay_context (EsimTestEim *self, SoupServerMessage *msg, const EimRequest *request, EimRelayContext *context)
{
	EsimTestEimDelivery *delivery = NULL;
	EimEuicc *euicc;
	g_autoptr(EsimActivationCode) code = NULL;

	memset (context, 0, sizeof (*context));
	if (request->eim_transaction_id != NULL) {
		euicc = euicc_by_transaction_id (self, request->eim_transaction_id);
		delivery = find_delivery (euicc, ESIM_TEST_EIM_PACKAGE_DOWNLOAD, request->eim_transaction_id, -1);
		if (delivery == NULL)
			return EIM_IA_ERROR_INVALID_EIM_TRANSACTION_ID;
	} else {
		euicc = eim_core_euicc_lookup (self, connection_eid (self, msg));
		for (guint i = euicc != NULL ? euicc->deliveries->len : 0; i > 0 && delivery == NULL; i--) {
			EsimTestEimDelivery *candidate = g_ptr_array_index (euicc->deliveries, i - 1);

			if (candidate->kind == ESIM_TEST_EIM_PACKAGE_DOWNLOAD)
				delivery = candidate;
		}
	}
	if (delivery != NULL && delivery->activation_code != NULL)
		code = esim_activation_code_parse (delivery->activation_code, NULL);
	if (code != NULL && request->smdp_address != NULL &&
	    g_ascii_strcasecmp (code->smdp_address, request->smdp_address) != 0)
		return EIM_IA_ERROR_SMDP_ADDRESS_MISMATCH;
	context->smdp_address = g_strdup (code != NULL ? code->smdp_address : request->smdp_address);
	if (context->smdp_address == NULL)
		return EIM_IA_ERROR_INVALID_DP_ADDRESS;
	if (code != NULL && code->matching_id[0] != '\0')
		context->matching_id = g_strdup (code->matching_id);
	if (euicc != NULL) {
		context->eid = g_strdup (euicc->eid);
		context->euicc_info1 = euicc->euicc_info1 != NULL ? g_bytes_ref (euicc->euicc_info1) : NULL;
	}
	if (request->euicc_info1 == NULL && context->euicc_info1 == NULL)
		return EIM_ERROR_UNDEFINED;   /* nothing to tell the SM-DP+ (minimizeEsipaBytes without data) */
	return -1;
}

static void
relay_context_clear (EimRelayContext *context)
{
	g_free (context->eid);
	g_free (context->smdp_address);
	g_free (context->matching_id);
	g_clear_pointer (&context->euicc_info1, g_bytes_unref);
}

static void
handle_relayed (EsimTestEim *self, SoupServerMessage *msg, const EimRequest *request, const gchar *eid)
{
	EimRelayContext context = { 0 };
	PendingRequest *pending;
	EimEuicc *euicc = eim_core_euicc_lookup (self, eid);
	GBytes *euicc_der = NULL, *eum_der = NULL;

	if (request->function == ESIM_TEST_EIM_FUNCTION_INITIATE_AUTHENTICATION) {
		gint64 code = relay_context (self, msg, request, &context);

		if (code >= 0) {
			EimAnswer answer = { .function = request->function, .error_code = code };

			respond (self, msg, request->binding, &answer, eid, FALSE);
			relay_context_clear (&context);
			return;
		}
	} else if (request->function == ESIM_TEST_EIM_FUNCTION_AUTHENTICATE_CLIENT &&
	           eim_parse_authenticate_server_certificates (request->euicc_response, &euicc_der, &eum_der)) {
		/* drive-by, as onomondo-eim store_euicc_pubkey_from_authenticateResponseOk */
		learn_certificate (self, euicc, euicc_der, eum_der, NULL);
		g_bytes_unref (euicc_der);
		g_bytes_unref (eum_der);
	}
	pending = pending_new (self, msg, request->binding, eid);
	eim_relay_handle (self->relay, request, &context, relay_answered, pending);
	relay_context_clear (&context);
}

/* The EID a request is about, for faults and the "request" signal. */
static const gchar *
request_eid (EsimTestEim *self, SoupServerMessage *msg, const EimRequest *request, gchar **owned)
{
	const gchar *eid;

	*owned = NULL;
	if (request->eid != NULL && g_bytes_get_size (request->eid) == ESIM_EID_LENGTH) {
		*owned = eim_eid_from_bytes (request->eid);
		return *owned;
	}
	eid = request->transaction_id != NULL ? eim_relay_session_eid (self->relay, request->transaction_id) : NULL;
	return eid != NULL ? eid : connection_eid (self, msg);
}

static void
handle_request (EsimTestEim *self, SoupServerMessage *msg, const EimRequest *request)
{
	g_autofree gchar *owned = NULL;
	const gchar *eid = request_eid (self, msg, request, &owned);
	g_autoptr(GError) error = NULL;
	EimAnswer answer = { .function = request->function, .error_code = -1 };
	EsimTestEimFault fault;
	EimEuicc *euicc;

	self->function_requests[eim_function_index (request->function)]++;
	g_signal_emit (self, signals[SIGNAL_REQUEST], 0, (guint) request->function, eid);
	if (take_fault (self, eid, request->function, -1, FALSE, &fault)) {
		apply_http_fault (self, msg, &fault, request->binding, NULL, NULL, FALSE);
		return;
	}
	switch (request->function) {
	case ESIM_TEST_EIM_FUNCTION_GET_EIM_PACKAGE:
		handle_get_eim_package (self, msg, request, &answer);
		break;
	case ESIM_TEST_EIM_FUNCTION_PROVIDE_EIM_PACKAGE_RESULT:
		if (!handle_provide (self, msg, request, &answer, &error)) {
			respond_plain (msg, SOUP_STATUS_BAD_REQUEST, error->message);
			return;
		}
		break;
	case ESIM_TEST_EIM_FUNCTION_HANDLE_NOTIFICATION:
		if (request->eim_package_result != NULL) {
			/* processed as ProvideEimPackageResult, answered nothing
			 * (onomondo-eim handle_asn1 handleNotificationEsipa) */
			answer.function = ESIM_TEST_EIM_FUNCTION_PROVIDE_EIM_PACKAGE_RESULT;
			if (!handle_provide (self, msg, request, &answer, &error)) {
				respond_plain (msg, SOUP_STATUS_BAD_REQUEST, error->message);
				return;
			}
			eim_answer_clear (&answer);
			answer.function = ESIM_TEST_EIM_FUNCTION_HANDLE_NOTIFICATION;
		} else {
			euicc = notification_euicc (self, msg, request->pending_notification);
			process_notification (self, euicc, request->pending_notification, request->function,
			                      request->binding, NULL);
		}
		break;
	default:
		handle_relayed (self, msg, request, eid);
		return;
	}
	respond (self, msg, request->binding, &answer, eid, FALSE);
	eim_answer_clear (&answer);
}

static guint64
request_bytes (SoupServerMessage *msg, const char *path, gsize body_len)
{
	guint64 bytes = strlen (soup_server_message_get_method (msg)) + strlen (path) + 12 + 2;

	soup_message_headers_foreach (soup_server_message_get_request_headers (msg), count_response_bytes, &bytes);
	return bytes + body_len;
}

static void
server_callback (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
                 gpointer user_data)
{
	EsimTestEim *self = user_data;
	SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
	g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
	g_autoptr(GError) error = NULL;
	const gchar *content_type = soup_message_headers_get_content_type (headers, NULL);
	const gchar *admin = soup_message_headers_get_one (headers, "X-Admin-Protocol");
	EsimTestEimBinding binding;
	EimRequest request;
	gsize len;
	const guint8 *data = g_bytes_get_data (body, &len);

	/* only the TLS connections of this eIM's listener, never libsoup's own socket */
	if (soup_server_message_get_socket (msg) != NULL) {
		respond_plain (msg, SOUP_STATUS_FORBIDDEN, "Forbidden");
		return;
	}
	self->requests++;
	self->http_bytes_received += request_bytes (msg, path, len);
	if (g_strcmp0 (path, self->asn1_path) == 0) {
		binding = ESIM_TEST_EIM_BINDING_ASN1;
	} else if (g_str_has_prefix (path, self->json_prefix) &&
	           eim_function_from_json_name (path + strlen (self->json_prefix)) != ESIM_TEST_EIM_FUNCTION_NONE) {
		binding = ESIM_TEST_EIM_BINDING_JSON;
	} else {
		respond_plain (msg, SOUP_STATUS_NOT_FOUND, "Not Found");
		return;
	}
	if (g_strcmp0 (soup_server_message_get_method (msg), SOUP_METHOD_POST) != 0) {
		soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "POST");
		respond_plain (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Method Not Allowed");
		return;
	}
	/* onomondo-eim esipa_middleware.erl: exactly gsma/rsp/v2.1.0, else 400;
	 * esipa_asn1_http_handler.erl: another content type is 415 */
	if (g_strcmp0 (admin, ESIM_TEST_EIM_ADMIN_PROTOCOL) != 0) {
		respond_plain (msg, SOUP_STATUS_BAD_REQUEST, "Unsupported x-admin-protocol");
		return;
	}
	if (g_strcmp0 (content_type, binding == ESIM_TEST_EIM_BINDING_ASN1 ? ESIM_TEST_EIM_ASN1_CONTENT_TYPE
	                                                                   : "application/json") != 0) {
		respond_plain (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "Unsupported content-type");
		return;
	}
	if (len > REQUEST_MAX_BODY) {
		respond_plain (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "Request too large");
		return;
	}
	if (binding == ESIM_TEST_EIM_BINDING_ASN1 ? !eim_request_parse_asn1 (data, len, &request, &error)
	                                          : !eim_request_parse_json (path + strlen (self->json_prefix), data,
	                                                                     len, &request, &error)) {
		g_autofree gchar *text = g_strdup_printf ("Unsupported Request: %s", error->message);

		g_message ("refused a request: %s", error->message);
		eim_request_clear (&request);
		respond_plain (msg, SOUP_STATUS_BAD_REQUEST, text);
		return;
	}
	handle_request (self, msg, &request);
	eim_request_clear (&request);
}

/* ------------------------------------------------------------------------ */
/* GObject */

static void
esim_test_eim_dispose (GObject *object)
{
	EsimTestEim *self = ESIM_TEST_EIM (object);

	g_clear_pointer (&self->relay, eim_relay_free);
	g_clear_pointer (&self->pending, g_ptr_array_unref);
	if (self->server != NULL)
		soup_server_disconnect (self->server);
	g_clear_pointer (&self->listener, eim_listener_free);
	g_clear_object (&self->server);
	G_OBJECT_CLASS (esim_test_eim_parent_class)->dispose (object);
}

static void
esim_test_eim_finalize (GObject *object)
{
	EsimTestEim *self = ESIM_TEST_EIM (object);

	g_free (self->eim_id);
	g_free (self->listen_address);
	g_free (self->host);
	g_free (self->fqdn);
	g_free (self->asn1_path);
	g_free (self->json_prefix);
	eim_credentials_clear (&self->credentials);
	g_hash_table_unref (self->euiccs);
	g_ptr_array_unref (self->records);
	g_ptr_array_unref (self->faults);
	g_ptr_array_unref (self->cis);
	g_hash_table_unref (self->connection_eids);
	g_hash_table_unref (self->seen_unknown);
	for (guint i = 0; i < self->anchor_files->len; i++)
		g_unlink (g_ptr_array_index (self->anchor_files, i));
	g_ptr_array_unref (self->anchor_files);
	G_OBJECT_CLASS (esim_test_eim_parent_class)->finalize (object);
}

static void
esim_test_eim_class_init (EsimTestEimClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS (klass);

	object_class->dispose = esim_test_eim_dispose;
	object_class->finalize = esim_test_eim_finalize;
	signals[SIGNAL_RECORD_ADDED] = g_signal_new ("record-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
	                                             0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
	signals[SIGNAL_REQUEST] = g_signal_new ("request", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
	                                        NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
}

static void
esim_test_eim_init (EsimTestEim *self)
{
	self->euiccs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) euicc_free);
	self->records = g_ptr_array_new_with_free_func ((GDestroyNotify) record_free);
	self->faults = g_ptr_array_new_with_free_func ((GDestroyNotify) fault_free);
	self->cis = g_ptr_array_new_with_free_func ((GDestroyNotify) esim_cert_unref);
	self->connection_eids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
	self->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) pending_free);
	self->seen_unknown = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
	self->anchor_files = g_ptr_array_new_with_free_func (g_free);
	self->relay = eim_relay_new ();
	self->forward_notifications = TRUE;
	self->empty_status[ESIM_TEST_EIM_BINDING_ASN1] = SOUP_STATUS_OK;
	self->empty_status[ESIM_TEST_EIM_BINDING_JSON] = SOUP_STATUS_NO_CONTENT;
}

EsimTestEim *
esim_test_eim_new (const EsimTestEimOptions *options, GError **error)
{
	g_autoptr(EsimTestEim) self = g_object_new (ESIM_TYPE_TEST_EIM, NULL);
	EsimTestEimOptions defaults = { 0 };
	EimListenerSetup setup = { 0 };
	g_autoptr(GInetAddress) ip = NULL;

	if (options == NULL)
		options = &defaults;
	self->eim_id = g_strdup (options->eim_id != NULL ? options->eim_id : ESIM_TEST_EIM_DEFAULT_ID);
	if (strlen (self->eim_id) == 0 || strlen (self->eim_id) > ESIM_EIM_ID_MAX_LENGTH) {
		g_set_error (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_INVALID,
		             "an eimId is 1 to %u characters", ESIM_EIM_ID_MAX_LENGTH);
		return NULL;
	}
	self->listen_address = g_strdup (options->listen_address != NULL ? options->listen_address : "127.0.0.1");
	self->host = g_strdup (options->host != NULL ? options->host : self->listen_address);
	self->asn1_path = g_strdup (options->asn1_path != NULL ? options->asn1_path : ESIM_TEST_EIM_ASN1_PATH);
	self->json_prefix = g_strdup (options->json_prefix != NULL ? options->json_prefix
	                                                           : ESIM_TEST_EIM_JSON_PREFIX);
	self->initial_counter = options->initial_counter;
	self->accept_any_eid = options->accept_any_eid;
	if (!eim_credentials_load (&self->credentials, options, self->host, error))
		return NULL;
	self->server = soup_server_new ("server-header", "esim-test-eim", NULL);
	soup_server_add_handler (self->server, NULL, server_callback, self, NULL);
	g_signal_connect (self->server, "request-finished", G_CALLBACK (request_finished), self);
	setup.chain_pem = self->credentials.tls_chain_pem;
	setup.key_pem = self->credentials.tls_key_pem;
	setup.server = self->server;
	self->listener = eim_listener_new (self->listen_address, options->port, &setup, error);
	if (self->listener == NULL)
		return NULL;
	/* an IPv6 host goes in brackets in host:port */
	ip = g_inet_address_new_from_string (self->host);
	if (ip != NULL && g_inet_address_get_family (ip) == G_SOCKET_FAMILY_IPV6)
		self->fqdn = g_strdup_printf ("[%s]:%u", self->host, eim_listener_get_port (self->listener));
	else
		self->fqdn = g_strdup_printf ("%s:%u", self->host, eim_listener_get_port (self->listener));
	g_debug ("eIM %s listening on https://%s (ASN.1 %s, JSON %s…)", self->eim_id, self->fqdn,
	           self->asn1_path, self->json_prefix);
	return g_steal_pointer (&self);
}

/* ------------------------------------------------------------------------ */
/* API */

const gchar *
esim_test_eim_get_id (EsimTestEim *self)
{
	return self->eim_id;
}

guint16
esim_test_eim_get_port (EsimTestEim *self)
{
	return eim_listener_get_port (self->listener);
}

const gchar *
esim_test_eim_get_fqdn (EsimTestEim *self)
{
	return self->fqdn;
}

const gchar *
esim_test_eim_get_asn1_path (EsimTestEim *self)
{
	return self->asn1_path;
}

const gchar *
esim_test_eim_get_json_prefix (EsimTestEim *self)
{
	return self->json_prefix;
}

GBytes *
esim_test_eim_get_tls_ca_der (EsimTestEim *self)
{
	return self->credentials.tls_ca_der;
}

GBytes *
esim_test_eim_get_tls_certificate_der (EsimTestEim *self)
{
	return self->credentials.tls_certificate_der;
}

GTlsCertificate *
eim_core_dup_tls_client_certificate (EsimTestEim *self)
{
	g_autofree gchar *pem = g_strconcat (self->credentials.tls_chain_pem, "\n",
	                                     self->credentials.tls_key_pem, NULL);

	return g_tls_certificate_new_from_pem (pem, -1, NULL);
}

gchar *
esim_test_eim_dup_tls_ca_pem (EsimTestEim *self)
{
	gsize len;
	const guint8 *data = g_bytes_get_data (self->credentials.tls_ca_der, &len);
	g_autofree gchar *base64 = g_base64_encode (data, len);
	gsize n = strlen (base64);
	GString *pem = g_string_new ("-----BEGIN CERTIFICATE-----\n");

	for (gsize i = 0; i < n; i += 64)
		g_string_append_printf (pem, "%.64s\n", base64 + i);
	g_string_append (pem, "-----END CERTIFICATE-----\n");
	return g_string_free (pem, FALSE);
}

GTlsDatabase *
esim_test_eim_dup_tls_database (EsimTestEim *self, GError **error)
{
	g_autofree gchar *pem = esim_test_eim_dup_tls_ca_pem (self);
	g_autofree gchar *path = NULL;
	GTlsDatabase *database;
	gint fd;

	/* GTlsFileDatabase reads a file: a private temporary one, kept while the eIM lives */
	fd = g_file_open_tmp ("esim-test-eim-ca-XXXXXX.pem", &path, error);
	if (fd < 0)
		return NULL;
	g_close (fd, NULL);
	if (!g_file_set_contents (path, pem, -1, error))
		return NULL;
	/* glib-networking reads the file again whenever it sets up a connection */
	database = g_tls_file_database_new (path, error);
	g_ptr_array_add (self->anchor_files, g_steal_pointer (&path));
	return database;
}

gnutls_privkey_t
esim_test_eim_get_signing_key (EsimTestEim *self)
{
	return self->credentials.signing_key;
}

GBytes *
esim_test_eim_get_signing_spki (EsimTestEim *self)
{
	return self->credentials.signing_spki_der;
}

GBytes *
esim_test_eim_build_configuration (EsimTestEim *self, const EsimTestEimConfigOptions *options, GError **error)
{
	EsimTestEimConfigOptions defaults = { 0 };
	GBytes *trust = NULL;
	gboolean trust_is_cert = TRUE;

	g_return_val_if_fail (ESIM_IS_TEST_EIM (self), NULL);
	if (options == NULL)
		options = &defaults;
	switch (options->tls_trust) {
	case ESIM_TEST_EIM_TLS_TRUST_CA:
		trust = self->credentials.tls_ca_der;
		break;
	case ESIM_TEST_EIM_TLS_TRUST_CERT:
		trust = self->credentials.tls_certificate_der;
		break;
	case ESIM_TEST_EIM_TLS_TRUST_SPKI:
		trust = self->credentials.tls_spki_der;
		trust_is_cert = FALSE;
		break;
	case ESIM_TEST_EIM_TLS_TRUST_NONE:
	default:
		break;
	}
	return eim_build_configuration (self->eim_id, self->fqdn, self->initial_counter,
	                                options->signing_key_as_certificate ? self->credentials.signing_certificate_der
	                                                                    : self->credentials.signing_spki_der,
	                                options->signing_key_as_certificate, trust, trust_is_cert, options);
}

GBytes *
esim_test_eim_build_add_initial_eim (EsimTestEim *self, const EsimTestEimConfigOptions *options, GError **error)
{
	g_autoptr(GBytes) configuration = esim_test_eim_build_configuration (self, options, error);
	g_autoptr(EsimDerWriter) writer = NULL;
	gsize len;
	const guint8 *data;

	if (configuration == NULL)
		return NULL;
	/* AddInitialEimRequest [87] { eimConfigurationDataList [0] SEQUENCE OF } (V16) */
	writer = esim_der_writer_new ();
	data = g_bytes_get_data (configuration, &len);
	esim_der_writer_begin (writer, ESIM_TAG_ADD_INITIAL_EIM);
	esim_der_writer_begin (writer, EIM_TAG_ADD_INITIAL_EIM_LIST);
	esim_der_writer_put_raw (writer, data, len);
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

gboolean
esim_test_eim_add_euicc (EsimTestEim *self, const gchar *eid, GError **error)
{
	g_return_val_if_fail (ESIM_IS_TEST_EIM (self), FALSE);
	return euicc_ensure (self, eid, error) != NULL;
}

gboolean
esim_test_eim_set_euicc_certificate (EsimTestEim *self, const gchar *eid, EsimCert *cert, GError **error)
{
	EimEuicc *euicc = euicc_ensure (self, eid, error);

	if (euicc == NULL)
		return FALSE;
	g_clear_pointer (&euicc->certificate, esim_cert_unref);
	euicc->certificate = cert != NULL ? esim_cert_ref (cert) : NULL;
	return TRUE;
}

EsimCert *
esim_test_eim_get_euicc_certificate (EsimTestEim *self, const gchar *eid)
{
	EimEuicc *euicc = eim_core_euicc_lookup (self, eid);

	return euicc != NULL ? euicc->certificate : NULL;
}

void
esim_test_eim_set_ci_certificates (EsimTestEim *self, GPtrArray *cis)
{
	g_ptr_array_set_size (self->cis, 0);
	for (guint i = 0; cis != NULL && i < cis->len; i++)
		g_ptr_array_add (self->cis, esim_cert_ref (g_ptr_array_index (cis, i)));
}

gint64
esim_test_eim_get_counter (EsimTestEim *self, const gchar *eid)
{
	EimEuicc *euicc = eim_core_euicc_lookup (self, eid);

	return euicc != NULL ? euicc->counter : self->initial_counter;
}

gboolean
esim_test_eim_set_counter (EsimTestEim *self, const gchar *eid, gint64 counter, GError **error)
{
	EimEuicc *euicc = euicc_ensure (self, eid, error);

	if (euicc == NULL)
		return FALSE;
	euicc->counter = counter;
	return TRUE;
}

gboolean
esim_test_eim_set_association_token (EsimTestEim *self, const gchar *eid, gboolean has_token, gint64 token,
                                     GError **error)
{
	EimEuicc *euicc = euicc_ensure (self, eid, error);

	if (euicc == NULL)
		return FALSE;
	euicc->has_token = has_token;
	euicc->token = token;
	return TRUE;
}

guint
esim_test_eim_get_state_changes (EsimTestEim *self, const gchar *eid, gint64 *last_cause)
{
	EimEuicc *euicc = eim_core_euicc_lookup (self, eid);

	if (last_cause != NULL)
		*last_cause = euicc != NULL ? euicc->last_state_change_cause : -1;
	return euicc != NULL ? euicc->state_changes : 0;
}

guint
esim_test_eim_queue (EsimTestEim *self, const gchar *eid, EsimTestEimPackage *package)
{
	g_autoptr(GError) error = NULL;
	EimEuicc *euicc = euicc_ensure (self, eid, &error);
	QueuedPackage *queued;

	if (euicc == NULL) {
		g_critical ("cannot queue a package for '%s': %s", eid, error->message);
		esim_test_eim_package_free (package);
		return 0;
	}
	queued = g_new0 (QueuedPackage, 1);
	queued->id = ++self->next_package_id;
	queued->package = package;
	g_queue_push_tail (&euicc->queue, queued);
	return queued->id;
}

guint
esim_test_eim_get_queue_length (EsimTestEim *self, const gchar *eid)
{
	EimEuicc *euicc = eim_core_euicc_lookup (self, eid);

	return euicc != NULL ? euicc->queue.length : 0;
}

void
esim_test_eim_clear_queue (EsimTestEim *self, const gchar *eid)
{
	EimEuicc *euicc = eim_core_euicc_lookup (self, eid);

	if (euicc != NULL)
		g_queue_clear_full (&euicc->queue, (GDestroyNotify) queued_package_free);
}

GPtrArray *
esim_test_eim_get_deliveries (EsimTestEim *self, const gchar *eid)
{
	EimEuicc *euicc = eim_core_euicc_lookup (self, eid);
	GPtrArray *out = g_ptr_array_new ();

	for (guint i = 0; euicc != NULL && i < euicc->deliveries->len; i++)
		g_ptr_array_add (out, g_ptr_array_index (euicc->deliveries, i));
	return out;
}

GPtrArray *
esim_test_eim_get_records (EsimTestEim *self, const gchar *eid)
{
	GPtrArray *out = g_ptr_array_new ();

	for (guint i = 0; i < self->records->len; i++) {
		EsimTestEimRecord *record = g_ptr_array_index (self->records, i);

		if (eid == NULL || g_strcmp0 (record->eid, eid) == 0)
			g_ptr_array_add (out, record);
	}
	return out;
}

GArray *
esim_test_eim_get_acknowledged (EsimTestEim *self, const gchar *eid)
{
	EimEuicc *euicc = eim_core_euicc_lookup (self, eid);
	GArray *out = g_array_new (FALSE, FALSE, sizeof (gint64));

	if (euicc != NULL)
		g_array_append_vals (out, euicc->acknowledged->data, euicc->acknowledged->len);
	return out;
}

static guint
count_records (EsimTestEim *self, const gchar *eid)
{
	g_autoptr(GPtrArray) records = esim_test_eim_get_records (self, eid);

	return records->len;
}

static gboolean
wait_expired (gpointer user_data)
{
	*(gboolean *) user_data = TRUE;
	return G_SOURCE_REMOVE;
}

gboolean
esim_test_eim_wait_records (EsimTestEim *self, const gchar *eid, guint n, guint seconds, GError **error)
{
	gboolean expired = FALSE;
	GSource *timeout = g_timeout_source_new_seconds (seconds);
	GMainContext *context = g_main_context_get_thread_default ();

	g_source_set_callback (timeout, wait_expired, &expired, NULL);
	g_source_attach (timeout, context);
	while (count_records (self, eid) < n && !expired)
		g_main_context_iteration (context, TRUE);
	g_source_destroy (timeout);
	g_source_unref (timeout);
	if (count_records (self, eid) < n) {
		g_set_error (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_TIMED_OUT,
		             "%u record(s) from %s never came (%u after %u s)", n, eid != NULL ? eid : "any EID",
		             count_records (self, eid), seconds);
		return FALSE;
	}
	return TRUE;
}

void
esim_test_eim_set_smdp_trust (EsimTestEim *self, GTlsDatabase *database)
{
	eim_relay_set_trust (self->relay, database);
}

void
esim_test_eim_set_forward_notifications (EsimTestEim *self, gboolean forward)
{
	self->forward_notifications = forward;
}

guint
esim_test_eim_get_relayed (EsimTestEim *self, EsimTestEimFunction function)
{
	return eim_relay_get_count (self->relay, function);
}

void
esim_test_eim_set_empty_answer (EsimTestEim *self, EsimTestEimBinding binding, guint status)
{
	g_return_if_fail (ESIM_IS_TEST_EIM (self));
	g_return_if_fail (status == SOUP_STATUS_OK || status == SOUP_STATUS_NO_CONTENT);
	self->empty_status[binding] = status;
}

void
esim_test_eim_get_counters (EsimTestEim *self, EsimTestEimCounters *counters)
{
	eim_listener_get_counters (self->listener, counters);
	counters->requests = self->requests;
	memcpy (counters->function_requests, self->function_requests, sizeof (self->function_requests));
	counters->http_bytes_received = self->http_bytes_received;
	counters->http_bytes_sent = self->http_bytes_sent;
}

void
esim_test_eim_reset_counters (EsimTestEim *self)
{
	eim_listener_reset_counters (self->listener);
	self->requests = 0;
	memset (self->function_requests, 0, sizeof (self->function_requests));
	self->http_bytes_received = self->http_bytes_sent = 0;
}

void
eim_core_count_function (EsimTestEim *self, EsimTestEimFunction function)
{
	self->function_requests[eim_function_index (function)]++;
}
