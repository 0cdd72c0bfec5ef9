/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * esim-test-eim: the test eIM as a program, for the lab and for trying an IPA
 * by hand.  It serves ESipa over HTTPS (both bindings), writes the eIM
 * configuration an IPA needs, and takes commands, one per line, on a control
 * socket (and on stdin with --stdin):
 *
 *   esim-test-eim --listen 127.0.0.1:8443 --pki-dir lab/pki --control lab/eim.sock \
 *                 --write-eim-config lab/eim.der &
 *   esim-test-eim --control lab/eim.sock enable 8904…  8988…
 *   esim-test-eim --control lab/eim.sock results 8904…
 *
 * With a command after --control it is the client: it sends that one
 * command, prints the answer and exits 0 (OK) or 1 (ERROR).
 */

#define G_LOG_DOMAIN "esim-test-eim"

#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <gio/gunixsocketaddress.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "esim-cert.h"
#include "esim-test-eim.h"
#include "esim-util.h"

#define CONTROL_TIMEOUT 120   /* seconds a client waits for an answer (a push may be slow) */

static const gchar help_text[] =
	"Commands (EID: 32 digits, ICCID: 18-20 digits):\n"
	"  status                           eIM id, address, counters\n"
	"  add EID                          make an eUICC known\n"
	"  certificate EID FILE             the eUICC certificate that verifies its results\n"
	"  enable EID ICCID [rollback]      queue an enable PSMO (with rollbackFlag)\n"
	"  disable EID ICCID | delete EID ICCID | set-fallback EID ICCID\n"
	"  list-profiles EID | get-rat EID | unset-fallback EID\n"
	"  immediate-enable EID [flag] [oid=OID] [address=ADDRESS]\n"
	"  set-default-dp EID ADDRESS\n"
	"  add-eim EID FILE | update-eim EID FILE   (EimConfigurationData DER)\n"
	"  delete-eim EID EIM_ID | list-eim EID\n"
	"  data EID TAGS|all                queue an ipaEuiccDataRequest (tags in hex: BF20,A6 …)\n"
	"  download EID ACTIVATION_CODE     queue a profileDownloadTriggerRequest\n"
	"  push EID HOST:PORT [asn1|json]   push the next package (TransferEimPackage)\n"
	"  list EID                         packages queued and sent\n"
	"  results [EID]                    what came back, with the eIM's checks\n"
	"  acks EID                         sequence numbers acknowledged\n"
	"  counter EID [N]                  show or set the counterValue of the last package\n"
	"  token EID N|none                 the associationToken both sides sign\n"
	"  fault KIND [eid=EID] [function=NAME] [count=N] [value=N] [after]\n"
	"                                   KIND: http-status no-answer drop-connection wrong-counter\n"
	"                                   replay bad-signature wrong-eim-id wrong-eid package-error\n"
	"                                   provide-error no-acknowledgement\n"
	"  clear-faults\n";

typedef struct {
	EsimTestEim  *eim;
	GTlsDatabase *push_trust;
	GMainLoop    *loop;
	gboolean      quiet;
} Tool;

typedef void (*AnswerFunc) (GString *answer, gboolean ok, gpointer user_data);

typedef struct {
	Tool      *tool;
	AnswerFunc done;
	gpointer   user_data;
	GString   *out;
} Command;

/* ------------------------------------------------------------------------ */
/* commands */

static const gchar *
kind_name (EsimTestEimPackageKind kind)
{
	static const gchar *const names[] = {
		"euiccPackageRequest", "ipaEuiccDataRequest", "profileDownloadTriggerRequest", "eimAcknowledgements",
	};

	return kind < G_N_ELEMENTS (names) ? names[kind] : "?";
}

static const gchar *
record_kind_name (EsimTestEimRecordKind kind)
{
	static const gchar *const names[] = {
		"euiccPackageResult", "euiccPackageError", "euiccPackageErrorUnsigned", "ipaEuiccData",
		"ipaEuiccDataError", "downloadResult", "downloadError", "eimPackageResultResponseError",
		"notification", "eimPackageReceived", "transferError", "malformed",
	};

	return kind < G_N_ELEMENTS (names) ? names[kind] : "?";
}

static const gchar *
signature_name (EsimTestEimSignature signature)
{
	static const gchar *const names[] = { "none", "valid", "INVALID", "unverified" };

	return signature < G_N_ELEMENTS (names) ? names[signature] : "?";
}

static void
print_record (GString *out, const EsimTestEimRecord *record)
{
	g_string_append_printf (out, "record %u eid=%s %s via=%s", record->id,
	                        record->eid != NULL ? record->eid : "?", record_kind_name (record->kind),
	                        esim_test_eim_function_name (record->via));
	if (record->seq_number >= 0)
		g_string_append_printf (out, " seq=%" G_GINT64_FORMAT, record->seq_number);
	if (record->counter >= 0)
		g_string_append_printf (out, " counter=%" G_GINT64_FORMAT, record->counter);
	if (record->package_id > 0)
		g_string_append_printf (out, " package=%u", record->package_id);
	g_string_append_printf (out, " signature=%s acknowledged=%s%s", signature_name (record->signature),
	                        record->acknowledged ? "yes" : "no", record->duplicate ? " duplicate" : "");
	if (record->summary != NULL)
		g_string_append_printf (out, " | %s", record->summary);
	if (record->problems != NULL)
		g_string_append_printf (out, " | PROBLEMS: %s", record->problems);
	g_string_append_c (out, '\n');
}

static GBytes *
read_file (const gchar *path, GError **error)
{
	gchar *data;
	gsize len;

	if (!g_file_get_contents (path, &data, &len, error))
		return NULL;
	return g_bytes_new_take (data, len);
}

static GBytes *
parse_tags (const gchar *text, GError **error)
{
	/* every IpaEuiccData tag of v1.2 (digest §3.3) */
	static const guint8 all[] = {
		0xA0, 0x81, 0xA2, 0xBF, 0x20, 0xBF, 0x22, 0x83, 0x84, 0xA5, 0xA6, 0x87, 0xA8, 0xA9,
	};
	g_autofree gchar *hex = NULL;

	if (g_str_equal (text, "all"))
		return g_bytes_new_static (all, sizeof (all));
	hex = g_strdup (text);
	g_strdelimit (hex, ",:", ' ');
	return esim_hex_decode (hex, error);
}

static gboolean
require (gchar **argv, guint n, GError **error)
{
	if (g_strv_length (argv) < n + 1) {
		g_set_error (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_INVALID,
		             "%s needs %u argument%s (see help)", argv[0], n, n == 1 ? "" : "s");
		return FALSE;
	}
	return TRUE;
}

static guint
queue (Tool *tool, const gchar *eid, EsimTestEimPackage *package, GString *out, GError **error)
{
	guint id;

	if (!esim_test_eim_add_euicc (tool->eim, eid, error)) {
		esim_test_eim_package_free (package);
		return 0;
	}
	id = esim_test_eim_queue (tool->eim, eid, package);
	g_string_append_printf (out, "queued package %u for %s\n", id, eid);
	return id;
}

/* One PSMO or eCO package from the command line. */
static gboolean
command_operation (Tool *tool, gchar **argv, GString *out, GError **error)
{
	const gchar *name = argv[0];
	g_autoptr(EsimTestEimPackage) package = NULL;
	g_autoptr(GBytes) file = NULL;
	gboolean eco = g_str_has_suffix (name, "-eim");
	gboolean ok = TRUE;

	if (!require (argv, 1, error))
		return FALSE;
	package = eco ? esim_test_eim_package_new_ecos () : esim_test_eim_package_new_psmos ();
	if (g_str_equal (name, "enable") || g_str_equal (name, "disable") || g_str_equal (name, "delete") ||
	    g_str_equal (name, "set-fallback")) {
		if (!require (argv, 2, error))
			return FALSE;
		if (g_str_equal (name, "enable"))
			ok = esim_test_eim_package_add_enable (package, argv[2], g_strcmp0 (argv[3], "rollback") == 0,
			                                       error);
		else if (g_str_equal (name, "disable"))
			ok = esim_test_eim_package_add_disable (package, argv[2], error);
		else if (g_str_equal (name, "delete"))
			ok = esim_test_eim_package_add_delete (package, argv[2], error);
		else
			ok = esim_test_eim_package_add_set_fallback (package, argv[2], error);
	} else if (g_str_equal (name, "list-profiles")) {
		esim_test_eim_package_add_list_profile_info (package, NULL);
	} else if (g_str_equal (name, "get-rat")) {
		esim_test_eim_package_add_get_rat (package);
	} else if (g_str_equal (name, "unset-fallback")) {
		esim_test_eim_package_add_unset_fallback (package);
	} else if (g_str_equal (name, "immediate-enable")) {
		const gchar *oid = NULL, *address = NULL;
		gboolean flag = FALSE;

		for (guint i = 2; argv[i] != NULL; i++) {
			if (g_str_equal (argv[i], "flag"))
				flag = TRUE;
			else if (g_str_has_prefix (argv[i], "oid="))
				oid = argv[i] + 4;
			else if (g_str_has_prefix (argv[i], "address="))
				address = argv[i] + 8;
		}
		ok = esim_test_eim_package_add_configure_immediate_enable (package, flag, oid, address, error);
	} else if (g_str_equal (name, "set-default-dp")) {
		if (!require (argv, 2, error))
			return FALSE;
		esim_test_eim_package_add_set_default_dp (package, argv[2]);
	} else if (g_str_equal (name, "add-eim") || g_str_equal (name, "update-eim")) {
		if (!require (argv, 2, error) || (file = read_file (argv[2], error)) == NULL)
			return FALSE;
		ok = g_str_equal (name, "add-eim") ? esim_test_eim_package_add_add_eim (package, file, error)
		                                   : esim_test_eim_package_add_update_eim (package, file, error);
	} else if (g_str_equal (name, "delete-eim")) {
		if (!require (argv, 2, error))
			return FALSE;
		esim_test_eim_package_add_delete_eim (package, argv[2]);
	} else {
		esim_test_eim_package_add_list_eim (package);
	}
	return ok && queue (tool, argv[1], g_steal_pointer (&package), out, error) > 0;
}

static gboolean
command_list (Tool *tool, gchar **argv, GString *out, GError **error)
{
	g_autoptr(GPtrArray) deliveries = NULL;

	if (!require (argv, 1, error))
		return FALSE;
	g_string_append_printf (out, "queued: %u\n", esim_test_eim_get_queue_length (tool->eim, argv[1]));
	deliveries = esim_test_eim_get_deliveries (tool->eim, argv[1]);
	for (guint i = 0; i < deliveries->len; i++) {
		const EsimTestEimDelivery *delivery = g_ptr_array_index (deliveries, i);
		g_autofree gchar *tid = delivery->eim_transaction_id != NULL
		                        ? esim_hex_encode_bytes (delivery->eim_transaction_id) : g_strdup ("-");

		g_string_append_printf (out, "sent %u %s via=%s tid=%s", delivery->id, kind_name (delivery->kind),
		                        esim_test_eim_function_name (delivery->via), tid);
		if (delivery->counter >= 0)
			g_string_append_printf (out, " counter=%" G_GINT64_FORMAT, delivery->counter);
		if (delivery->faults != NULL)
			g_string_append_printf (out, " faults=%s", delivery->faults);
		g_string_append_c (out, '\n');
	}
	return TRUE;
}

static gboolean
command_fault (Tool *tool, gchar **argv, GString *out, GError **error)
{
	EsimTestEimFault fault = { 0 };

	if (!require (argv, 1, error))
		return FALSE;
	if (!esim_test_eim_fault_kind_from_name (argv[1], &fault.kind)) {
		g_set_error (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_INVALID, "no fault '%s'", argv[1]);
		return FALSE;
	}
	fault.value = fault.kind == ESIM_TEST_EIM_FAULT_WRONG_COUNTER ? -1 : 0;
	for (guint i = 2; argv[i] != NULL; i++) {
		if (g_str_has_prefix (argv[i], "eid=")) {
			fault.eid = argv[i] + 4;
		} else if (g_str_has_prefix (argv[i], "function=")) {
			for (guint bit = 0; bit < ESIM_TEST_EIM_N_FUNCTIONS; bit++) {
				if (g_str_equal (esim_test_eim_function_name (1u << bit), argv[i] + 9))
					fault.functions |= 1u << bit;
			}
			if (fault.functions == 0) {
				g_set_error (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_INVALID,
				             "no ESipa function '%s' (getEimPackage, provideEimPackageResult…)", argv[i] + 9);
				return FALSE;
			}
		} else if (g_str_has_prefix (argv[i], "count=")) {
			fault.count = (guint) g_ascii_strtoull (argv[i] + 6, NULL, 10);
		} else if (g_str_has_prefix (argv[i], "value=")) {
			fault.value = g_ascii_strtoll (argv[i] + 6, NULL, 10);
		} else if (g_str_equal (argv[i], "after")) {
			fault.after_processing = TRUE;
		} else {
			g_set_error (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_INVALID, "what is '%s'?", argv[i]);
			return FALSE;
		}
	}
	esim_test_eim_add_fault (tool->eim, &fault);
	g_string_append_printf (out, "fault %s armed\n", argv[1]);
	return TRUE;
}

static void
command_status (Tool *tool, GString *out)
{
	EsimTestEimCounters counters;

	esim_test_eim_get_counters (tool->eim, &counters);
	g_string_append_printf (out, "eim-id %s\nfqdn %s\nasn1-path %s\njson-prefix %s\n",
	                        esim_test_eim_get_id (tool->eim), esim_test_eim_get_fqdn (tool->eim),
	                        esim_test_eim_get_asn1_path (tool->eim), esim_test_eim_get_json_prefix (tool->eim));
	g_string_append_printf (out, "connections %u\ntls-handshakes %u\ntls-handshakes-resumed %u\nrequests %u\n"
	                        "http-bytes-received %" G_GUINT64_FORMAT "\nhttp-bytes-sent %" G_GUINT64_FORMAT "\n"
	                        "wire-bytes-received %" G_GUINT64_FORMAT "\nwire-bytes-sent %" G_GUINT64_FORMAT "\n",
	                        counters.connections, counters.tls_handshakes, counters.tls_handshakes_resumed,
	                        counters.requests, counters.http_bytes_received, counters.http_bytes_sent,
	                        counters.wire_bytes_received, counters.wire_bytes_sent);
}

static gboolean
command_misc (Tool *tool, gchar **argv, GString *out, GError **error)
{
	const gchar *name = argv[0];

	if (g_str_equal (name, "add")) {
		return require (argv, 1, error) && esim_test_eim_add_euicc (tool->eim, argv[1], error);
	} else if (g_str_equal (name, "certificate")) {
		g_autoptr(EsimCert) cert = NULL;

		if (!require (argv, 2, error) || (cert = esim_cert_new_from_file (argv[2], error)) == NULL)
			return FALSE;
		return esim_test_eim_set_euicc_certificate (tool->eim, argv[1], cert, error);
	} else if (g_str_equal (name, "counter")) {
		if (!require (argv, 1, error))
			return FALSE;
		if (argv[2] != NULL &&
		    !esim_test_eim_set_counter (tool->eim, argv[1], g_ascii_strtoll (argv[2], NULL, 10), error))
			return FALSE;
		g_string_append_printf (out, "counter %" G_GINT64_FORMAT "\n",
		                        esim_test_eim_get_counter (tool->eim, argv[1]));
		return TRUE;
	} else if (g_str_equal (name, "token")) {
		gboolean none;

		if (!require (argv, 2, error))
			return FALSE;
		none = g_str_equal (argv[2], "none");
		return esim_test_eim_set_association_token (tool->eim, argv[1], !none,
		                                            none ? 0 : g_ascii_strtoll (argv[2], NULL, 10), error);
	} else if (g_str_equal (name, "acks")) {
		g_autoptr(GArray) acks = NULL;

		if (!require (argv, 1, error))
			return FALSE;
		acks = esim_test_eim_get_acknowledged (tool->eim, argv[1]);
		for (guint i = 0; i < acks->len; i++)
			g_string_append_printf (out, "%s%" G_GINT64_FORMAT, i > 0 ? " " : "", g_array_index (acks, gint64, i));
		g_string_append_c (out, '\n');
		return TRUE;
	} else if (g_str_equal (name, "results")) {
		g_autoptr(GPtrArray) records = esim_test_eim_get_records (tool->eim, argv[1]);

		for (guint i = 0; i < records->len; i++)
			print_record (out, g_ptr_array_index (records, i));
		return TRUE;
	} else if (g_str_equal (name, "clear-faults")) {
		esim_test_eim_clear_faults (tool->eim);
		return TRUE;
	} else if (g_str_equal (name, "data")) {
		g_autoptr(GBytes) tags = NULL;

		if (!require (argv, 2, error) || (tags = parse_tags (argv[2], error)) == NULL)
			return FALSE;
		return queue (tool, argv[1], esim_test_eim_package_new_data_request (g_bytes_get_data (tags, NULL),
		                                                                     g_bytes_get_size (tags)),
		              out, error) > 0;
	} else if (g_str_equal (name, "download")) {
		return require (argv, 2, error) &&
		       queue (tool, argv[1], esim_test_eim_package_new_download (argv[2]), out, error) > 0;
	}
	g_set_error (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_INVALID, "no command '%s' (try help)", name);
	return FALSE;
}

static void
command_finish (Command *command, gboolean ok, const GError *error)
{
	if (!ok)
		g_string_append_printf (command->out, "ERROR: %s\n", error->message);
	else
		g_string_append (command->out, "OK\n");
	command->done (command->out, ok, command->user_data);
	g_string_free (command->out, TRUE);
	g_free (command);
}

static void
push_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	Command *command = user_data;
	g_autoptr(GError) error = NULL;
	const EsimTestEimRecord *record = esim_test_eim_push_finish (ESIM_TEST_EIM (source), res, &error);

	if (record != NULL)
		print_record (command->out, record);
	command_finish (command, record != NULL, error);
}

static void
run_command (Tool *tool, const gchar *line, AnswerFunc done, gpointer user_data)
{
	Command *command = g_new0 (Command, 1);
	g_auto(GStrv) argv = NULL;
	g_autoptr(GError) error = NULL;
	gboolean ok;
	static const gchar *const operations[] = {
		"enable", "disable", "delete", "set-fallback", "list-profiles", "get-rat", "unset-fallback",
		"immediate-enable", "set-default-dp", "add-eim", "update-eim", "delete-eim", "list-eim", NULL
	};

	command->tool = tool;
	command->done = done;
	command->user_data = user_data;
	command->out = g_string_new (NULL);
	if (!g_shell_parse_argv (line, NULL, &argv, &error)) {
		command_finish (command, FALSE, error);
		return;
	}
	if (g_str_equal (argv[0], "help")) {
		g_string_append (command->out, help_text);
		ok = TRUE;
	} else if (g_str_equal (argv[0], "status")) {
		command_status (tool, command->out);
		ok = TRUE;
	} else if (g_strv_contains (operations, argv[0])) {
		ok = command_operation (tool, argv, command->out, &error);
	} else if (g_str_equal (argv[0], "list")) {
		ok = command_list (tool, argv, command->out, &error);
	} else if (g_str_equal (argv[0], "fault")) {
		ok = command_fault (tool, argv, command->out, &error);
	} else if (g_str_equal (argv[0], "push")) {
		if (!require (argv, 2, &error) ||
		    (tool->push_trust == NULL &&
		     (g_set_error_literal (&error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_INVALID,
		                           "push needs --push-ca FILE (the CA of the IPA's certificate)"), TRUE))) {
			command_finish (command, FALSE, error);
			return;
		}
		esim_test_eim_push_async (tool->eim, argv[1], argv[2], NULL, tool->push_trust,
		                          g_strcmp0 (argv[3], "json") == 0 ? ESIM_TEST_EIM_BINDING_JSON
		                                                           : ESIM_TEST_EIM_BINDING_ASN1,
		                          NULL, push_done, command);
		return;
	} else {
		ok = command_misc (tool, argv, command->out, &error);
	}
	command_finish (command, ok, error);
}

/* ------------------------------------------------------------------------ */
/* the control socket and stdin: one command per line, answered in order */

typedef struct {
	Tool             *tool;
	GIOStream        *stream;
	GDataInputStream *input;
	GOutputStream    *output;   /* stdout for stdin */
} Session;

static void session_read_next (Session *session);

static void
session_free (Session *session)
{
	g_clear_object (&session->input);
	g_clear_object (&session->stream);
	g_clear_object (&session->output);
	g_free (session);
}

static void
session_answered (GString *answer, gboolean ok, gpointer user_data)
{
	Session *session = user_data;

	g_output_stream_write_all (session->output, answer->str, answer->len, NULL, NULL, NULL);
	g_output_stream_flush (session->output, NULL, NULL);
	session_read_next (session);
}

static void
session_line (GObject *source, GAsyncResult *res, gpointer user_data)
{
	Session *session = user_data;
	g_autofree gchar *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), res, NULL,
	                                                                     NULL);

	if (line == NULL) {
		if (session->stream == NULL)   /* stdin closed: the eIM keeps serving */
			g_debug ("stdin closed");
		session_free (session);
		return;
	}
	g_strstrip (line);
	if (line[0] == '\0' || line[0] == '#') {
		session_read_next (session);
		return;
	}
	run_command (session->tool, line, session_answered, session);
}

static void
session_read_next (Session *session)
{
	g_data_input_stream_read_line_async (session->input, G_PRIORITY_DEFAULT, NULL, session_line, session);
}

static gboolean
control_incoming (GSocketService *service, GSocketConnection *connection, GObject *source, gpointer user_data)
{
	Session *session = g_new0 (Session, 1);

	session->tool = user_data;
	session->stream = g_object_ref (G_IO_STREAM (connection));
	session->input = g_data_input_stream_new (g_io_stream_get_input_stream (session->stream));
	session->output = g_object_ref (g_io_stream_get_output_stream (session->stream));
	session_read_next (session);
	return TRUE;
}

static GSocketService *
control_listen (Tool *tool, const gchar *path, GError **error)
{
	g_autoptr(GSocketService) service = g_socket_service_new ();
	g_autoptr(GSocketAddress) address = g_unix_socket_address_new (path);

	g_unlink (path);
	if (!g_socket_listener_add_address (G_SOCKET_LISTENER (service), address, G_SOCKET_TYPE_STREAM,
	                                    G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, error))
		return NULL;
	g_signal_connect (service, "incoming", G_CALLBACK (control_incoming), tool);
	g_socket_service_start (service);
	return g_steal_pointer (&service);
}

/* The client: one command, its answer on stdout. */
static int
control_client (const gchar *path, gchar **words)
{
	g_autoptr(GSocketClient) client = g_socket_client_new ();
	g_autoptr(GSocketAddress) address = g_unix_socket_address_new (path);
	g_autoptr(GSocketConnection) connection = NULL;
	g_autoptr(GDataInputStream) input = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) line = g_string_new (NULL);
	GOutputStream *output;

	for (guint i = 0; words[i] != NULL; i++) {
		g_autofree gchar *quoted = g_shell_quote (words[i]);

		g_string_append_printf (line, "%s%s", i > 0 ? " " : "", quoted);
	}
	g_string_append_c (line, '\n');
	g_socket_client_set_timeout (client, CONTROL_TIMEOUT);
	connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, &error);
	if (connection == NULL) {
		g_printerr ("esim-test-eim: cannot reach the eIM at %s: %s\n", path, error->message);
		return 1;
	}
	output = g_io_stream_get_output_stream (G_IO_STREAM (connection));
	if (!g_output_stream_write_all (output, line->str, line->len, NULL, NULL, &error)) {
		g_printerr ("esim-test-eim: %s\n", error->message);
		return 1;
	}
	input = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
	for (;;) {
		g_autofree gchar *answer = g_data_input_stream_read_line_utf8 (input, NULL, NULL, &error);

		if (answer == NULL) {
			g_printerr ("esim-test-eim: the eIM closed the control connection%s%s\n",
			            error != NULL ? ": " : "", error != NULL ? error->message : "");
			return 1;
		}
		if (g_str_equal (answer, "OK"))
			return 0;
		if (g_str_has_prefix (answer, "ERROR: ")) {
			g_printerr ("esim-test-eim: %s\n", answer + 7);
			return 1;
		}
		g_print ("%s\n", answer);
	}
}

/* ------------------------------------------------------------------------ */

static gboolean
quit_on_signal (gpointer user_data)
{
	Tool *tool = user_data;

	g_main_loop_quit (tool->loop);
	return G_SOURCE_CONTINUE;
}

static void
record_added (EsimTestEim *eim, const EsimTestEimRecord *record, Tool *tool)
{
	g_autoptr(GString) out = g_string_new (NULL);

	if (tool->quiet)
		return;
	print_record (out, record);
	g_print ("%s", out->str);
}

static gboolean
split_listen (const gchar *listen, gchar **address, guint16 *port, GError **error)
{
	const gchar *colon = strrchr (listen, ':');
	guint64 value;

	if (colon == NULL || !g_ascii_string_to_unsigned (colon + 1, 10, 0, G_MAXUINT16, &value, NULL)) {
		g_set_error (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_INVALID,
		             "--listen takes ADDRESS:PORT, not '%s'", listen);
		return FALSE;
	}
	*address = g_strndup (listen, colon - listen);
	if ((*address)[0] == '[') {
		gchar *inner = g_strndup (*address + 1, strlen (*address) - 2);

		g_free (*address);
		*address = inner;
	}
	*port = (guint16) value;
	return TRUE;
}

static gboolean
write_outputs (EsimTestEim *eim, const gchar *config_path, const gchar *add_initial_path, const gchar *ca_path,
               const EsimTestEimConfigOptions *config, GError **error)
{
	g_autoptr(GBytes) der = NULL;

	if (config_path != NULL) {
		der = esim_test_eim_build_configuration (eim, config, error);
		if (der == NULL || !g_file_set_contents (config_path, g_bytes_get_data (der, NULL),
		                                         (gssize) g_bytes_get_size (der), error))
			return FALSE;
		g_clear_pointer (&der, g_bytes_unref);
	}
	if (add_initial_path != NULL) {
		der = esim_test_eim_build_add_initial_eim (eim, config, error);
		if (der == NULL || !g_file_set_contents (add_initial_path, g_bytes_get_data (der, NULL),
		                                         (gssize) g_bytes_get_size (der), error))
			return FALSE;
	}
	if (ca_path != NULL) {
		g_autofree gchar *pem = esim_test_eim_dup_tls_ca_pem (eim);

		if (!g_file_set_contents (ca_path, pem, -1, error))
			return FALSE;
	}
	return TRUE;
}

static GPtrArray *
load_cis (const gchar *pki_dir, GError **error)
{
	g_autofree gchar *path = g_build_filename (pki_dir, "CertificateIssuer", "CERT_CI_ECDSA_NIST.der", NULL);
	g_autoptr(GPtrArray) cis = g_ptr_array_new_with_free_func ((GDestroyNotify) esim_cert_unref);
	EsimCert *ci = esim_cert_new_from_file (path, error);

	if (ci == NULL)
		return NULL;
	g_ptr_array_add (cis, ci);
	return g_steal_pointer (&cis);
}

/* Everything the command line gives. */
typedef struct {
	gchar   *listen, *host, *eim_id, *pki_dir, *credentials_dir;
	gchar   *tls_cert, *tls_key, *tls_ca, *signing_key;
	gchar   *smdp_ca, *push_ca, *asn1_path, *json_prefix;
	gchar   *config_path, *add_initial_path, *ca_path, *control, *ready_file, *tls_trust;
	gint64   counter;
	gboolean accept_any, with_stdin, inject, no_indirect, personal, verbose, quiet;
	EsimTestEimConfigOptions config;
} Settings;

static void
settings_clear (Settings *s)
{
	gchar **strings[] = {
		&s->listen, &s->host, &s->eim_id, &s->pki_dir, &s->credentials_dir, &s->tls_cert, &s->tls_key,
		&s->tls_ca, &s->signing_key, &s->smdp_ca, &s->push_ca, &s->asn1_path, &s->json_prefix,
		&s->config_path, &s->add_initial_path, &s->ca_path, &s->control, &s->ready_file, &s->tls_trust,
	};

	for (guint i = 0; i < G_N_ELEMENTS (strings); i++)
		g_clear_pointer (strings[i], g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Settings, settings_clear)

static GOptionContext *
option_context (Settings *s)
{
	const GOptionEntry entries[] = {
		{ "listen", 'l', 0, G_OPTION_ARG_STRING, &s->listen, "Address and port to serve ESipa on "
		  "(default 127.0.0.1:0, any free port)", "ADDR:PORT" },
		{ "host", 0, 0, G_OPTION_ARG_STRING, &s->host, "Host name in eimFqdn and the TLS certificate "
		  "(default: the listen address)", "HOST" },
		{ "eim-id", 0, 0, G_OPTION_ARG_STRING, &s->eim_id, "eimId (default " ESIM_TEST_EIM_DEFAULT_ID ")", "ID" },
		{ "pki-dir", 'p', 0, G_OPTION_ARG_FILENAME, &s->pki_dir, "A test PKI (esim-test-pki): its CI checks "
		  "eUICC certificates and the SM-DP+'s TLS; the eIM keeps its own keys in DIR/eIM", "DIR" },
		{ "credentials-dir", 0, 0, G_OPTION_ARG_FILENAME, &s->credentials_dir, "Keep the eIM's keys and "
		  "certificates here (made the first time)", "DIR" },
		{ "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &s->tls_cert, "Own TLS certificate chain (PEM)", "FILE" },
		{ "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &s->tls_key, "Its private key", "FILE" },
		{ "tls-ca", 0, 0, G_OPTION_ARG_FILENAME, &s->tls_ca, "The CA an IPA is to trust", "FILE" },
		{ "signing-key", 0, 0, G_OPTION_ARG_FILENAME, &s->signing_key, "Own package-signing key (P-256)",
		  "FILE" },
		{ "smdp-ca", 0, 0, G_OPTION_ARG_FILENAME, &s->smdp_ca, "Trust for the SM-DP+ (indirect download "
		  "relay; default: the CI of --pki-dir)", "FILE" },
		{ "push-ca", 0, 0, G_OPTION_ARG_FILENAME, &s->push_ca, "Trust for an IPA's push listener", "FILE" },
		{ "asn1-path", 0, 0, G_OPTION_ARG_STRING, &s->asn1_path, "ASN.1 binding path (default "
		  ESIM_TEST_EIM_ASN1_PATH ")", "PATH" },
		{ "json-prefix", 0, 0, G_OPTION_ARG_STRING, &s->json_prefix, "JSON binding prefix (default "
		  ESIM_TEST_EIM_JSON_PREFIX ")", "PATH" },
		{ "counter", 0, 0, G_OPTION_ARG_INT64, &s->counter, "counterValue of the configuration", "N" },
		{ "accept-any-eid", 0, 0, G_OPTION_ARG_NONE, &s->accept_any, "Serve every EID as if provisioned", NULL },
		{ "write-eim-config", 'w', 0, G_OPTION_ARG_FILENAME, &s->config_path,
		  "Write the EimConfigurationData (DER) an IPA needs", "FILE" },
		{ "write-add-initial-eim", 0, 0, G_OPTION_ARG_FILENAME, &s->add_initial_path,
		  "Write it as an AddInitialEimRequest (BF57, DER)", "FILE" },
		{ "write-ca", 0, 0, G_OPTION_ARG_FILENAME, &s->ca_path, "Write the eIM's TLS CA (PEM)", "FILE" },
		{ "config-tls-trust", 0, 0, G_OPTION_ARG_STRING, &s->tls_trust,
		  "trustedPublicKeyDataTls: ca (default), cert, spki or none", "KIND" },
		{ "config-inject", 0, 0, G_OPTION_ARG_NONE, &s->inject, "Announce eimInjectHttps too", NULL },
		{ "config-no-indirect", 0, 0, G_OPTION_ARG_NONE, &s->no_indirect, "Leave indirectProfileDownload out",
		  NULL },
		{ "control", 'c', 0, G_OPTION_ARG_FILENAME, &s->control, "Control socket; with a COMMAND: send it and "
		  "print the answer", "SOCKET" },
		{ "stdin", 0, 0, G_OPTION_ARG_NONE, &s->with_stdin, "Also take commands on stdin", NULL },
		{ "ready-file", 0, 0, G_OPTION_ARG_FILENAME, &s->ready_file, "Write HOST:PORT here once serving",
		  "FILE" },
		{ "log-personal-info", 0, 0, G_OPTION_ARG_NONE, &s->personal, "Log EIDs in full", NULL },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &s->quiet, "Do not print results as they come", NULL },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &s->verbose, "Debug messages", NULL },
		{ NULL }
	};
	GOptionContext *context = g_option_context_new ("[COMMAND…] - a test eIM (SGP.32 v1.2 ESipa over HTTPS)");

	g_option_context_set_description (context, help_text);
	g_option_context_add_main_entries (context, entries, NULL);
	return context;
}

static void
make_absolute (gchar **path)
{
	gchar *absolute;

	if (*path == NULL)
		return;
	absolute = g_canonicalize_filename (*path, NULL);
	g_free (*path);
	*path = absolute;
}

/* What the options mean once parsed: the configuration's form, absolute paths. */
static gboolean
settings_resolve (Settings *s, GError **error)
{
	static const gchar *const kinds[] = { "ca", "cert", "spki", "none", NULL };

	if (s->tls_trust != NULL) {
		for (s->config.tls_trust = 0; kinds[s->config.tls_trust] != NULL &&
		                              !g_str_equal (kinds[s->config.tls_trust], s->tls_trust); s->config.tls_trust++)
			;
		if (kinds[s->config.tls_trust] == NULL) {
			g_set_error_literal (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_INVALID,
			                     "--config-tls-trust is ca, cert, spki or none");
			return FALSE;
		}
	}
	s->config.protocols = ESIM_TEST_EIM_PROTOCOL_RETRIEVE_HTTPS |
	                      (s->inject ? ESIM_TEST_EIM_PROTOCOL_INJECT_HTTPS : 0);
	s->config.no_indirect_download = s->no_indirect;
	/* GTlsFileDatabase wants absolute paths */
	make_absolute (&s->smdp_ca);
	make_absolute (&s->push_ca);
	make_absolute (&s->pki_dir);
	if (s->pki_dir != NULL && s->credentials_dir == NULL)
		s->credentials_dir = g_build_filename (s->pki_dir, "eIM", NULL);
	if (s->pki_dir != NULL && s->smdp_ca == NULL)
		s->smdp_ca = g_build_filename (s->pki_dir, "CertificateIssuer", "CERT_CI_ECDSA_NIST.pem", NULL);
	return TRUE;
}

/* The eIM with its trusts: the CI of the test PKI, the SM-DP+'s and the IPA's TLS. */
static EsimTestEim *
start_eim (Settings *s, Tool *tool, GError **error)
{
	EsimTestEimOptions options = {
		.eim_id = s->eim_id, .host = s->host, .asn1_path = s->asn1_path, .json_prefix = s->json_prefix,
		.credentials_dir = s->credentials_dir, .tls_cert_file = s->tls_cert, .tls_key_file = s->tls_key,
		.tls_ca_file = s->tls_ca, .signing_key_file = s->signing_key, .initial_counter = s->counter,
		.accept_any_eid = s->accept_any,
	};
	g_autofree gchar *address = NULL;
	g_autoptr(EsimTestEim) eim = NULL;

	if (s->listen != NULL && !split_listen (s->listen, &address, &options.port, error))
		return NULL;
	options.listen_address = address;
	eim = esim_test_eim_new (&options, error);
	if (eim == NULL)
		return NULL;
	if (s->pki_dir != NULL) {
		g_autoptr(GPtrArray) cis = load_cis (s->pki_dir, error);

		if (cis == NULL)
			return NULL;
		esim_test_eim_set_ci_certificates (eim, cis);
	}
	if (s->smdp_ca != NULL) {
		g_autoptr(GTlsDatabase) trust = g_tls_file_database_new (s->smdp_ca, error);

		if (trust == NULL)
			return NULL;
		esim_test_eim_set_smdp_trust (eim, trust);
	}
	if (s->push_ca != NULL) {
		tool->push_trust = g_tls_file_database_new (s->push_ca, error);
		if (tool->push_trust == NULL)
			return NULL;
	}
	if (!write_outputs (eim, s->config_path, s->add_initial_path, s->ca_path, &s->config, error))
		return NULL;
	return g_steal_pointer (&eim);
}

static void
read_stdin (Tool *tool)
{
	Session *session = g_new0 (Session, 1);
	GInputStream *in = g_unix_input_stream_new (0, FALSE);

	session->tool = tool;
	session->input = g_data_input_stream_new (in);
	session->output = g_unix_output_stream_new (1, FALSE);
	g_object_unref (in);
	session_read_next (session);
}

int
main (int argc, char **argv)
{
	g_auto(Settings) s = { 0 };
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimTestEim) eim = NULL;
	g_autoptr(GSocketService) service = NULL;
	Tool tool = { 0 };

	setlocale (LC_ALL, "");
	context = option_context (&s);
	if (!g_option_context_parse (context, &argc, &argv, &error) || !settings_resolve (&s, &error)) {
		g_printerr ("esim-test-eim: %s\n", error->message);
		return 2;
	}
	if (argc > 1) {
		if (s.control == NULL) {
			g_printerr ("esim-test-eim: a COMMAND goes to a running eIM: --control SOCKET is needed\n");
			return 2;
		}
		return control_client (s.control, argv + 1);
	}
	if (s.verbose)
		g_setenv ("G_MESSAGES_DEBUG", "esim-test-eim", TRUE);
	esim_log_set_personal_info (s.personal);
	tool.quiet = s.quiet;
	eim = start_eim (&s, &tool, &error);
	if (eim == NULL) {
		g_printerr ("esim-test-eim: %s\n", error->message);
		g_clear_object (&tool.push_trust);
		return 1;
	}
	tool.eim = eim;
	g_signal_connect (eim, "record-added", G_CALLBACK (record_added), &tool);
	if (s.control != NULL && (service = control_listen (&tool, s.control, &error)) == NULL) {
		g_printerr ("esim-test-eim: control socket %s: %s\n", s.control, error->message);
		return 1;
	}
	if (s.with_stdin)
		read_stdin (&tool);
	g_print ("eIM %s at https://%s%s (JSON %s…)\n", esim_test_eim_get_id (eim), esim_test_eim_get_fqdn (eim),
	         esim_test_eim_get_asn1_path (eim), esim_test_eim_get_json_prefix (eim));
	if (s.ready_file != NULL && !g_file_set_contents (s.ready_file, esim_test_eim_get_fqdn (eim), -1, &error)) {
		g_printerr ("esim-test-eim: %s\n", error->message);
		return 1;
	}
	tool.loop = g_main_loop_new (NULL, FALSE);
	g_unix_signal_add (SIGINT, quit_on_signal, &tool);
	g_unix_signal_add (SIGTERM, quit_on_signal, &tool);
	g_main_loop_run (tool.loop);
	g_main_loop_unref (tool.loop);
	g_clear_object (&tool.push_trust);
	if (s.control != NULL)
		g_unlink (s.control);
	return 0;
}
