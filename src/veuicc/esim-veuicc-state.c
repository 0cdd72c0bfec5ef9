/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Persistent state of the software eUICC.
 *
 * The whole card lives in one GKeyFile:
 *
 *   [card]                version, eid, next-seq-number, next-association-token,
 *                         root-ds-address, default-dp-address (optional),
 *                         credentials (optional: an SGP.26-layout directory, relative
 *                         to this file's directory unless absolute), max-profiles
 *                         (optional, 1..64, default 64)
 *   [keys]                eum-key, eum-certificate, euicc-key, euicc-certificate (PEM);
 *                         only for a card without credentials
 *   [profile N]           iccid, aid (hex), name, service-provider, class, state,
 *                         nickname (optional), preloaded, and where its events are
 *                         notified: notification-address (every event), or
 *                         notify-install/-enable/-disable/-delete (each optional:
 *                         the events its metadata lists)
 *   [notification N]      seq-number, event, iccid (optional), address, signature (hex r||s),
 *                         profile-installation-result (optional: the signed BF37 of an
 *                         install, hex; the signature is then the one inside it)
 *                         fallback-allowed, fallback-attribute (optional, true/false: SGP.32
 *                         fallbackAllowed metadata and the Fallback Profile)
 *   [eim N]               configuration (hex DER), association-token (the card's; when the
 *                         configuration asked for one), counter (the counterValue the card
 *                         holds: the configuration's, or the last package's)
 *   [package-result N]    seq-number, result (hex: a signed EuiccPackageResult, BF51, listed
 *                         until removed)
 *   [rollback]            (optional) iccid, eim-id, counter, transaction-id (hex, optional),
 *                         result-seq-number: the rollback an enable PSMO granted
 *   [card] also           immediate-enable (true/false), immediate-enable-smdp-oid (hex of
 *                         the OID's value), immediate-enable-smdp-address (all optional)
 *   [faults]              (optional, for tests) ES10 functions the card refuses: the key is
 *                         the request tag in hex, the value the status word to answer (6xxx,
 *                         not 61xx) or "error" for an error result code, e.g. BF22=6D00
 *
 * A file whose [card] has credentials but no version is a seed: a new card
 * with those credentials (esim-veuicc.h), saved in full once made.
 *
 * next-seq-number only grows, so a seqNumber is never handed out twice, even
 * after the notification it belonged to was removed and the card reloaded.
 * Unknown groups and keys are ignored (a later version may add some); anything
 * that fails to parse or validate makes the whole file CORRUPT and untouched.
 *
 * Only a regular file is read (a FIFO, a device or a directory is refused
 * without blocking), of at most VEUICC_MAX_STATE_FILE_SIZE bytes.  Symbolic
 * links are resolved once, when the card is opened, and the real file is the
 * one read and replaced.  Saves go through esim_file_replace(): an unnamed
 * temporary where the file system allows, so a killed daemon leaves no copy of
 * the private keys behind; a named one it did leave is deleted at the next load.
 */

#define G_LOG_DOMAIN "esim-veuicc"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "esim-util.h"
#include "esim-veuicc-private.h"

#define GROUP_CARD "card"
#define GROUP_KEYS "keys"
#define GROUP_FAULTS "faults"
#define PREFIX_PROFILE "profile "
#define PREFIX_NOTIFICATION "notification "
#define PREFIX_EIM "eim "
#define PREFIX_PACKAGE_RESULT "package-result "
#define GROUP_ROLLBACK "rollback"

static const gchar *const pem_keys[] = {
	"eum-key", "eum-certificate", "euicc-key", "euicc-certificate",
};

static const gchar *const class_names[] = { "test", "provisioning", "operational" };
static const gchar *const event_names[] = { "install", "enable", "disable", "delete" };
static const gchar *const notify_keys[] = {
	"notify-install", "notify-enable", "notify-disable", "notify-delete",
};

void
veuicc_profile_free (VeuiccProfile *profile)
{
	if (profile == NULL)
		return;
	g_free (profile->iccid);
	g_free (profile->name);
	g_free (profile->provider);
	g_free (profile->nickname);
	for (guint i = 0; i < VEUICC_N_EVENTS; i++)
		g_free (profile->event_address[i]);
	g_free (profile);
}

void
veuicc_notification_free (VeuiccNotification *notification)
{
	if (notification == NULL)
		return;
	g_free (notification->iccid);
	g_free (notification->address);
	g_clear_pointer (&notification->pir, g_bytes_unref);
	g_free (notification);
}

void
veuicc_eim_free (VeuiccEim *eim)
{
	if (eim == NULL)
		return;
	g_clear_pointer (&eim->config, g_bytes_unref);
	g_free (eim->eim_id);
	g_free (eim);
}

void
veuicc_package_result_free (VeuiccPackageResult *result)
{
	if (result == NULL)
		return;
	g_clear_pointer (&result->result, g_bytes_unref);
	g_free (result);
}

void
veuicc_rollback_free (VeuiccRollback *rollback)
{
	if (rollback == NULL)
		return;
	g_free (rollback->iccid);
	g_free (rollback->eim_id);
	g_clear_pointer (&rollback->transaction_id, g_bytes_unref);
	g_free (rollback);
}

gboolean
veuicc_parse_profile_class (const gchar *str, VeuiccProfileClass *out)
{
	for (guint i = 0; i < G_N_ELEMENTS (class_names); i++) {
		if (g_strcmp0 (str, class_names[i]) == 0) {
			*out = (VeuiccProfileClass) i;
			return TRUE;
		}
	}
	return FALSE;
}

static gboolean
parse_event (const gchar *str, VeuiccEvent *out)
{
	for (guint i = 0; i < G_N_ELEMENTS (event_names); i++) {
		if (g_strcmp0 (str, event_names[i]) == 0) {
			*out = (VeuiccEvent) i;
			return TRUE;
		}
	}
	return FALSE;
}

VeuiccProfile *
veuicc_find_profile_by_iccid_bcd (EsimVeuicc *self, const guint8 *bcd, gsize len)
{
	if (len != 10)
		return NULL;
	for (guint i = 0; i < self->profiles->len; i++) {
		VeuiccProfile *profile = g_ptr_array_index (self->profiles, i);
		if (memcmp (profile->iccid_bcd, bcd, 10) == 0)
			return profile;
	}
	return NULL;
}

VeuiccProfile *
veuicc_find_profile_by_aid (EsimVeuicc *self, const guint8 *aid, gsize len)
{
	if (len != 16)
		return NULL;
	for (guint i = 0; i < self->profiles->len; i++) {
		VeuiccProfile *profile = g_ptr_array_index (self->profiles, i);
		if (memcmp (profile->aid, aid, 16) == 0)
			return profile;
	}
	return NULL;
}

VeuiccProfile *
veuicc_find_enabled_profile (EsimVeuicc *self)
{
	for (guint i = 0; i < self->profiles->len; i++) {
		VeuiccProfile *profile = g_ptr_array_index (self->profiles, i);
		if (profile->enabled)
			return profile;
	}
	return NULL;
}

const VeuiccFault *
veuicc_find_fault (EsimVeuicc *self, EsimTag tag)
{
	for (guint i = 0; i < self->faults->len; i++) {
		const VeuiccFault *fault = &g_array_index (self->faults, VeuiccFault, i);
		if (fault->tag == tag)
			return fault;
	}
	return NULL;
}

/* ISD-P AIDs follow the ISD-R pattern A0000005591010FFFFFFFF89000 0xx 00 with
 * xx from 10 up, as real cards number them. */
static gboolean
allocate_aid (EsimVeuicc *self, guint8 aid[16])
{
	static const guint8 base[16] = {
		0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
		0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x10, 0x00,
	};
	for (guint n = 0x10; n <= 0xFF; n++) {
		memcpy (aid, base, 16);
		aid[14] = (guint8) n;
		if (veuicc_find_profile_by_aid (self, aid, 16) == NULL)
			return TRUE;
	}
	return FALSE;
}

gboolean
veuicc_add_profile_full (EsimVeuicc *self, const gchar *iccid, const gchar *name,
                         const gchar *provider, VeuiccProfileClass klass, gboolean enabled,
                         gboolean preloaded, GError **error)
{
	g_autoptr(VeuiccProfile) profile = g_new0 (VeuiccProfile, 1);

	if (!esim_iccid_is_valid (iccid) || !esim_iccid_to_bcd (iccid, profile->iccid_bcd, NULL)) {
		g_autofree gchar *masked = esim_log_personal (iccid);
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "invalid ICCID %s", masked);
		return FALSE;
	}
	if (veuicc_find_profile_by_iccid_bcd (self, profile->iccid_bcd, 10) != NULL) {
		g_autofree gchar *masked = esim_log_personal (iccid);
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "ICCID %s already on the card", masked);
		return FALSE;
	}
	if (strlen (name) > 64 || strlen (provider) > 32 ||
	    !g_utf8_validate (name, -1, NULL) || !g_utf8_validate (provider, -1, NULL)) {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		                     "profile name (max. 64 bytes) or service provider (max. 32 bytes) invalid");
		return FALSE;
	}
	if (enabled && veuicc_find_enabled_profile (self) != NULL) {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "another profile is enabled");
		return FALSE;
	}
	if (self->profiles->len >= self->max_profiles || !allocate_aid (self, profile->aid)) {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "no room for another profile");
		return FALSE;
	}
	profile->iccid = g_strdup (iccid);
	profile->name = g_strdup (name);
	profile->provider = g_strdup (provider);
	/* cards made before metadata came with downloads notify every event there */
	for (guint i = 0; i < VEUICC_N_EVENTS; i++)
		profile->event_address[i] = g_strdup (VEUICC_NOTIFICATION_ADDRESS_DEFAULT);
	profile->klass = klass;
	profile->enabled = enabled;
	profile->preloaded = preloaded;
	g_ptr_array_add (self->profiles, g_steal_pointer (&profile));
	return TRUE;
}

GBytes *
veuicc_notification_metadata (const VeuiccNotification *notification)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	/* NotificationMetadata (SGP.22 RSPDefinitions): seqNumber [0],
	 * profileManagementOperation [1], notificationAddress UTF8String, iccid OPTIONAL */
	esim_der_writer_begin (writer, ESIM_TAG_NOTIFICATION_METADATA);
	esim_der_writer_put_uint (writer, ESIM_TAG_NOTIF_SEQ_NUMBER, notification->seq);
	esim_der_writer_put_named_bits (writer, ESIM_TAG_NOTIF_OPERATION, 1u << notification->event);
	esim_der_writer_put_utf8 (writer, ESIM_TAG_NOTIF_ADDRESS, notification->address);
	if (notification->iccid != NULL) {
		guint8 bcd[ESIM_ICCID_LENGTH];
		if (esim_iccid_to_bcd (notification->iccid, bcd, NULL))
			esim_der_writer_put (writer, ESIM_TAG_ICCID, bcd, sizeof (bcd));
	}
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

gboolean
veuicc_queue_notification (EsimVeuicc *self, VeuiccEvent event, const VeuiccProfile *profile,
                           GError **error)
{
	g_autoptr(VeuiccNotification) notification = NULL;
	g_autoptr(GBytes) tbs = NULL;

	/* only the events the profile's notificationConfigurationInfo lists (SGP.22 §5.7.2) */
	if (profile->event_address[event] == NULL)
		return TRUE;
	notification = g_new0 (VeuiccNotification, 1);
	notification->seq = self->next_seq;
	notification->event = event;
	notification->iccid = g_strdup (profile->iccid);
	notification->address = g_strdup (profile->event_address[event]);
	tbs = veuicc_notification_metadata (notification);
	if (!veuicc_crypto_sign (self->crypto, g_bytes_get_data (tbs, NULL), g_bytes_get_size (tbs),
	                         notification->signature, error))
		return FALSE;
	self->next_seq++;
	/* A real card has finite NVM; dropping the oldest keeps this one usable */
	if (self->notifications->len >= VEUICC_MAX_NOTIFICATIONS) {
		g_warning ("notification list full, dropping the oldest");
		g_ptr_array_remove_index (self->notifications, 0);
	}
	g_ptr_array_add (self->notifications, g_steal_pointer (&notification));
	return TRUE;
}

void
veuicc_queue_installation_result (EsimVeuicc *self, VeuiccNotification *notification)
{
	g_return_if_fail (notification->seq == self->next_seq && notification->pir != NULL);
	self->next_seq++;
	if (self->notifications->len >= VEUICC_MAX_NOTIFICATIONS) {
		g_warning ("notification list full, dropping the oldest");
		g_ptr_array_remove_index (self->notifications, 0);
	}
	g_ptr_array_add (self->notifications, notification);
}

void
veuicc_add_package_result (EsimVeuicc *self, guint64 seq, GBytes *result)
{
	VeuiccPackageResult *entry = g_new0 (VeuiccPackageResult, 1);

	/* finite NVM, as for notifications: an IPA that never acknowledges loses the oldest */
	if (self->package_results->len >= VEUICC_MAX_PACKAGE_RESULTS) {
		g_warning ("EuiccPackageResult list full, dropping the oldest");
		g_ptr_array_remove_index (self->package_results, 0);
	}
	entry->seq = seq;
	entry->result = g_bytes_ref (result);
	g_ptr_array_add (self->package_results, entry);
}

/* EimConfigurationData components in their DER order (SGP.32 v1.2 §2.11.1). */
static const EsimTag eim_config_tags[] = {
	ESIM_TAG_EIM_ID, ESIM_TAG_EIM_FQDN, ESIM_TAG_EIM_ID_TYPE, ESIM_TAG_EIM_COUNTER_VALUE,
	ESIM_TAG_EIM_ASSOCIATION_TOKEN, ESIM_TAG_EIM_PUBLIC_KEY_DATA, ESIM_TAG_EIM_TRUSTED_KEY_TLS,
	ESIM_TAG_EIM_SUPPORTED_PROTOCOL, ESIM_TAG_EIM_EUICC_CI_PKID, ESIM_TAG_EIM_INDIRECT_DOWNLOAD,
	ESIM_TAG_EIM_PROTOCOL_VERSIONS,
};

/* The components of an implicitly retagged SubjectPublicKeyInfo (30 AlgorithmIdentifier,
 * 03 subjectPublicKey) or Certificate (30 tbsCertificate, 30 signatureAlgorithm, 03 signature). */
static gboolean
eim_key_contents_valid (const EsimTlv *tlv, const EsimTag *tags, guint n_tags)
{
	g_autoptr(GError) error = NULL;
	EsimTlvIter iter;
	EsimTlv child;
	guint n = 0;

	esim_tlv_iter_init (&iter, tlv);
	while (esim_tlv_iter_next (&iter, &child, &error)) {
		if (n == n_tags || child.tag != tags[n])
			return FALSE;
		n++;
	}
	return error == NULL && n == n_tags;
}

/* [5]/[6] CHOICE { [0] SubjectPublicKeyInfo, [1] Certificate } (explicit): one A0 or A1 */
static gboolean
eim_key_choice_valid (const EsimTlv *tlv)
{
	static const EsimTag spki[] = { ESIM_TAG_SEQUENCE, ESIM_TAG_BIT_STRING };
	static const EsimTag cert[] = { ESIM_TAG_SEQUENCE, ESIM_TAG_SEQUENCE, ESIM_TAG_BIT_STRING };
	g_autoptr(GError) error = NULL;
	EsimTlvIter iter;
	EsimTlv child;
	guint n = 0;
	gboolean ok = TRUE;

	esim_tlv_iter_init (&iter, tlv);
	while (esim_tlv_iter_next (&iter, &child, &error)) {
		n++;
		if (child.tag == ESIM_TAG_EIM_KEY_SPKI)
			ok = ok && eim_key_contents_valid (&child, spki, G_N_ELEMENTS (spki));
		else if (child.tag == ESIM_TAG_EIM_KEY_CERTIFICATE)
			ok = ok && eim_key_contents_valid (&child, cert, G_N_ELEMENTS (cert));
		else
			ok = FALSE;
	}
	return ok && n == 1 && error == NULL;
}

static gboolean
eim_config_component (const EsimTlv *child, VeuiccEim *eim, GBytes **ci_pkid, GError **error)
{
	gint64 value = 0;
	const guint8 *bits;
	gsize n_bits;

	switch (child->tag) {
	case ESIM_TAG_EIM_ID:
		eim->eim_id = esim_tlv_dup_utf8 (child, NULL);
		return eim->eim_id != NULL && child->len >= 1 && child->len <= ESIM_EIM_ID_MAX_LENGTH;
	case ESIM_TAG_EIM_FQDN:
		return child->len <= 255 && g_utf8_validate ((const gchar *) child->value, child->len, NULL);
	case ESIM_TAG_EIM_ID_TYPE:
		return esim_tlv_get_int (child, &value, NULL) && value >= 1 && value <= 3;
	case ESIM_TAG_EIM_COUNTER_VALUE:
		if (!esim_tlv_get_int (child, &value, NULL))
			return FALSE;
		if (value < 0 || value > VEUICC_MAX_COUNTER_VALUE) {
			g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			                     "counterValue out of range");
			return FALSE;
		}
		eim->has_counter = TRUE;
		eim->counter = value;
		return TRUE;
	case ESIM_TAG_EIM_ASSOCIATION_TOKEN:
		if (!esim_tlv_get_int (child, &value, NULL))
			return FALSE;
		eim->has_token = TRUE;
		eim->token = value;
		return TRUE;
	case ESIM_TAG_EIM_PUBLIC_KEY_DATA:
	case ESIM_TAG_EIM_TRUSTED_KEY_TLS:
		return child->constructed && eim_key_choice_valid (child);
	case ESIM_TAG_EIM_SUPPORTED_PROTOCOL:
		return esim_tlv_get_bits (child, &bits, &n_bits, NULL);
	case ESIM_TAG_EIM_EUICC_CI_PKID:
		if (child->len < 1 || child->len > 64)
			return FALSE;
		if (ci_pkid != NULL)
			*ci_pkid = esim_tlv_dup_value (child);
		return TRUE;
	case ESIM_TAG_EIM_INDIRECT_DOWNLOAD:
		return child->len == 0;
	case ESIM_TAG_EIM_PROTOCOL_VERSIONS:
		return child->constructed;
	default:
		return FALSE;
	}
}

gboolean
veuicc_eim_config_parse (const EsimTlv *tlv, VeuiccEim *eim, GBytes **ci_pkid, GError **error)
{
	EsimTlvIter iter;
	EsimTlv child;
	guint next_idx = 0;
	g_autoptr(GError) error_local = NULL;

	if (tlv->tag != ESIM_TAG_SEQUENCE || !tlv->constructed) {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		                     "EimConfigurationData is not a SEQUENCE");
		return FALSE;
	}
	esim_tlv_iter_init (&iter, tlv);
	while (esim_tlv_iter_next (&iter, &child, &error_local)) {
		guint idx = next_idx;
		/* components must appear once each, in definition order */
		while (idx < G_N_ELEMENTS (eim_config_tags) && eim_config_tags[idx] != child.tag)
			idx++;
		if (idx == G_N_ELEMENTS (eim_config_tags)) {
			g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			             "EimConfigurationData: unexpected element %X", child.tag);
			return FALSE;
		}
		next_idx = idx + 1;
		if (!eim_config_component (&child, eim, ci_pkid, &error_local)) {
			if (error_local != NULL) {
				g_propagate_error (error, g_steal_pointer (&error_local));
				return FALSE;
			}
			g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
			             "EimConfigurationData: invalid element %X", child.tag);
			return FALSE;
		}
	}
	if (error_local != NULL) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "EimConfigurationData: %s",
		             error_local->message);
		return FALSE;
	}
	if (eim->eim_id == NULL) {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		                     "EimConfigurationData without eimId");
		return FALSE;
	}
	return TRUE;
}

/* Relative to the state file's directory, so that a lab directory can move. */
static gchar *
resolve_credentials (EsimVeuicc *self, const gchar *dir)
{
	g_autofree gchar *base = NULL;

	if (g_path_is_absolute (dir) || self->path == NULL)
		return g_strdup (dir);
	base = g_path_get_dirname (self->path);
	return g_build_filename (base, dir, NULL);
}

gboolean
veuicc_state_load_credentials (EsimVeuicc *self, const gchar *dir, GError **error)
{
	g_autofree gchar *resolved = resolve_credentials (self, dir);

	self->crypto = veuicc_crypto_new_from_credentials (resolved, error);
	if (self->crypto == NULL)
		return FALSE;
	g_free (self->credentials);
	self->credentials = g_strdup (dir);
	return TRUE;
}

gboolean
veuicc_state_init_fresh (EsimVeuicc *self, const gchar *credentials, const gchar *eid,
                         GError **error)
{
	if (credentials != NULL) {
		/* the card is the one the credentials describe: its EID is its certificate's */
		if (!veuicc_state_load_credentials (self, credentials, error))
			return FALSE;
		self->eid = g_strdup (veuicc_crypto_get_credentials_eid (self->crypto));
	} else if (eid != NULL) {
		self->eid = g_strdup (eid);
	} else {
		self->eid = esim_eid_generate ("89049032");
	}
	if (self->eid == NULL || !esim_eid_is_valid (self->eid)) {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
		                     eid != NULL ? "not a valid EID" : "cannot generate an EID");
		return FALSE;
	}
	if (self->crypto == NULL)
		self->crypto = veuicc_crypto_generate (self->eid, error);
	if (self->crypto == NULL)
		return FALSE;
	self->next_seq = 1;
	self->next_token = 1;
	self->root_ds_address = g_strdup (VEUICC_ROOT_DS_DEFAULT);
	/* 19 digits: the BCD form ends in an F nibble */
	if (!veuicc_add_profile_full (self, "8944476500000000013", "Demo Operational", "esimd demo",
	                              VEUICC_CLASS_OPERATIONAL, TRUE, TRUE, error) ||
	    !veuicc_add_profile_full (self, "89444765000000000223", "Demo Test", "esimd demo",
	                              VEUICC_CLASS_TEST, FALSE, TRUE, error))
		return FALSE;
	/* their owner lets either be the Fallback Profile (SGP.32 fallbackAllowed) */
	for (guint i = 0; i < self->profiles->len; i++)
		((VeuiccProfile *) g_ptr_array_index (self->profiles, i))->fallback_allowed = TRUE;
	return TRUE;
}

/* ---- loading ---------------------------------------------------------------------------- */

typedef struct {
	GKeyFile    *kf;
	const gchar *group;
	gchar       *problem;  /* first problem found, NULL while all is well */
	gboolean     identity; /* load the keys or credentials (not when rolling back) */
	gboolean     unavailable; /* the problem is the credentials' files, not this file */
} Loader;

static gboolean
loader_fail (Loader *ld, const gchar *key, const gchar *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
loader_fail (Loader *ld, const gchar *key, const gchar *format, ...)
{
	va_list args;
	g_autofree gchar *msg = NULL;
	if (ld->problem != NULL)
		return FALSE;
	va_start (args, format);
	msg = g_strdup_vprintf (format, args);
	va_end (args);
	if (key != NULL)
		ld->problem = g_strdup_printf ("[%s] %s: %s", ld->group, key, msg);
	else
		ld->problem = g_strdup_printf ("[%s] %s", ld->group, msg);
	return FALSE;
}

/* A required string; NULL (and the problem recorded) when missing. */
static gchar *
loader_string (Loader *ld, const gchar *key, gboolean required)
{
	g_autoptr(GError) error = NULL;
	gchar *value = g_key_file_get_string (ld->kf, ld->group, key, &error);
	if (value == NULL && required)
		loader_fail (ld, key, "%s", error->message);
	return value;
}

static gboolean
loader_uint64 (Loader *ld, const gchar *key, guint64 *out)
{
	g_autofree gchar *str = loader_string (ld, key, TRUE);
	if (str == NULL)
		return FALSE;
	if (!g_ascii_string_to_unsigned (str, 10, 0, G_MAXINT64, out, NULL))
		return loader_fail (ld, key, "not a number: %s", str);
	return TRUE;
}

static gboolean
loader_int64 (Loader *ld, const gchar *key, gboolean *present, gint64 *out)
{
	g_autofree gchar *str = loader_string (ld, key, FALSE);
	*present = str != NULL;
	if (str == NULL)
		return TRUE;
	if (!g_ascii_string_to_signed (str, 10, G_MININT64, G_MAXINT64, out, NULL))
		return loader_fail (ld, key, "not a number: %s", str);
	return TRUE;
}

/* max-profiles, optional */
static gboolean
load_max_profiles (EsimVeuicc *self, Loader *ld)
{
	g_autofree gchar *str = loader_string (ld, "max-profiles", FALSE);
	guint64 max = 0;

	if (str == NULL)
		return TRUE;
	if (!g_ascii_string_to_unsigned (str, 10, 1, VEUICC_MAX_PROFILES, &max, NULL))
		return loader_fail (ld, "max-profiles", "not a number from 1 to %d: %s",
		                    VEUICC_MAX_PROFILES, str);
	self->max_profiles = (guint) max;
	return TRUE;
}

/* An optional "true"/"false"; FALSE (and the problem recorded) for anything else. */
static gboolean
loader_bool (Loader *ld, const gchar *key, gboolean *out)
{
	g_autofree gchar *str = loader_string (ld, key, FALSE);

	*out = g_strcmp0 (str, "true") == 0;
	if (str != NULL && !*out && g_strcmp0 (str, "false") != 0)
		return loader_fail (ld, key, "must be true or false, not '%s'", str);
	return TRUE;
}

/* immediate-enable, immediate-enable-smdp-oid, immediate-enable-smdp-address (optional) */
static gboolean
load_immediate_enable (EsimVeuicc *self, Loader *ld)
{
	g_autofree gchar *oid = loader_string (ld, "immediate-enable-smdp-oid", FALSE);
	g_autofree gchar *address = loader_string (ld, "immediate-enable-smdp-address", FALSE);

	if (!loader_bool (ld, "immediate-enable", &self->immediate_enable))
		return FALSE;
	if (oid != NULL) {
		self->immediate_enable_smdp_oid = esim_hex_decode (oid, NULL);
		if (self->immediate_enable_smdp_oid == NULL ||
		    g_bytes_get_size (self->immediate_enable_smdp_oid) == 0)
			return loader_fail (ld, "immediate-enable-smdp-oid", "not an OID value in hex");
	}
	if (address != NULL && (strlen (address) > 255 || !g_utf8_validate (address, -1, NULL)))
		return loader_fail (ld, "immediate-enable-smdp-address", "longer than 255 bytes or not UTF-8");
	self->immediate_enable_smdp_address = g_steal_pointer (&address);
	return TRUE;
}

/* The card's identity: credentials, or [keys] of its own. */
static gboolean
load_identity (EsimVeuicc *self, Loader *ld, const gchar *credentials)
{
	gchar *pem[G_N_ELEMENTS (pem_keys)] = { NULL };
	g_autoptr(GError) error = NULL;
	gboolean ok = TRUE;

	if (credentials != NULL) {
		const gchar *cert_eid;

		if (!veuicc_state_load_credentials (self, credentials, &error)) {
			ld->unavailable = TRUE;
			return loader_fail (ld, "credentials", "%s", error->message);
		}
		cert_eid = veuicc_crypto_get_credentials_eid (self->crypto);
		if (g_strcmp0 (cert_eid, self->eid) != 0) {
			g_autofree gchar *masked = esim_log_personal (cert_eid);
			return loader_fail (ld, "eid", "not the EID of the eUICC certificate in %s (%s)",
			                    credentials, masked);
		}
		return TRUE;
	}
	ld->group = GROUP_KEYS;
	for (guint i = 0; i < G_N_ELEMENTS (pem_keys); i++) {
		pem[i] = loader_string (ld, pem_keys[i], TRUE);
		ok = ok && pem[i] != NULL;
	}
	if (ok) {
		self->crypto = veuicc_crypto_load (pem[0], pem[1], pem[2], pem[3], self->eid, &error);
		if (self->crypto == NULL)
			ok = loader_fail (ld, NULL, "%s", error->message);
	}
	for (guint i = 0; i < G_N_ELEMENTS (pem_keys); i++)
		g_free (pem[i]);
	return ok;
}

/* A seed: [card] credentials (and max-profiles) only; a fresh card with them. */
static gboolean
load_seed (EsimVeuicc *self, Loader *ld)
{
	g_autofree gchar *credentials = loader_string (ld, "credentials", TRUE);
	g_autoptr(GError) error = NULL;

	if (credentials == NULL || !load_max_profiles (self, ld))
		return FALSE;
	if (!veuicc_state_init_fresh (self, credentials, NULL, &error)) {
		ld->unavailable = TRUE;
		return loader_fail (ld, "credentials", "%s", error->message);
	}
	self->from_seed = TRUE;
	return TRUE;
}

static gboolean
load_card_group (EsimVeuicc *self, Loader *ld)
{
	guint64 version = 0, next_seq = 0, next_token = 0;
	g_autofree gchar *credentials = NULL;

	ld->group = GROUP_CARD;
	if (ld->identity && !g_key_file_has_key (ld->kf, GROUP_CARD, "version", NULL) &&
	    g_key_file_has_key (ld->kf, GROUP_CARD, "credentials", NULL))
		return load_seed (self, ld);
	if (!loader_uint64 (ld, "version", &version))
		return FALSE;
	if (version != VEUICC_STATE_VERSION)
		return loader_fail (ld, "version", "unsupported version %" G_GUINT64_FORMAT, version);
	self->eid = loader_string (ld, "eid", TRUE);
	if (self->eid == NULL)
		return FALSE;
	if (!esim_eid_is_valid (self->eid))
		return loader_fail (ld, "eid", "not a valid EID");
	if (!loader_uint64 (ld, "next-seq-number", &next_seq) ||
	    !loader_uint64 (ld, "next-association-token", &next_token))
		return FALSE;
	self->next_seq = next_seq;
	self->next_token = (gint64) next_token;
	self->root_ds_address = loader_string (ld, "root-ds-address", TRUE);
	if (self->root_ds_address == NULL)
		return FALSE;
	self->default_dp_address = loader_string (ld, "default-dp-address", FALSE);
	if (!load_max_profiles (self, ld) || !load_immediate_enable (self, ld))
		return FALSE;
	credentials = loader_string (ld, "credentials", FALSE);
	if (credentials != NULL && credentials[0] == '\0')
		return loader_fail (ld, "credentials", "empty");
	/* EID and keys never change: a rollback keeps those in memory */
	if (!ld->identity)
		return TRUE;
	return load_identity (self, ld, credentials);
}

/* notification-address (every event) or notify-<event> (the events listed). */
static gboolean
load_event_addresses (VeuiccProfile *profile, Loader *ld, const gchar *address)
{
	gboolean per_event = FALSE;

	for (guint i = 0; i < VEUICC_N_EVENTS; i++) {
		g_free (profile->event_address[i]);
		profile->event_address[i] = loader_string (ld, notify_keys[i], FALSE);
		per_event = per_event || profile->event_address[i] != NULL;
	}
	if (address != NULL && per_event)
		return loader_fail (ld, "notification-address", "given with notify-* keys");
	for (guint i = 0; i < VEUICC_N_EVENTS; i++) {
		if (address != NULL)
			profile->event_address[i] = g_strdup (address);
		if (profile->event_address[i] != NULL &&
		    (strlen (profile->event_address[i]) > 255 ||
		     !g_utf8_validate (profile->event_address[i], -1, NULL)))
			return loader_fail (ld, address != NULL ? "notification-address" : notify_keys[i],
			                    "longer than 255 bytes or not UTF-8");
	}
	return TRUE;
}

static gboolean
load_profile_group (EsimVeuicc *self, Loader *ld)
{
	g_autofree gchar *iccid = loader_string (ld, "iccid", TRUE);
	g_autofree gchar *aid_hex = loader_string (ld, "aid", TRUE);
	g_autofree gchar *name = loader_string (ld, "name", TRUE);
	g_autofree gchar *provider = loader_string (ld, "service-provider", TRUE);
	g_autofree gchar *klass_str = loader_string (ld, "class", TRUE);
	g_autofree gchar *state = loader_string (ld, "state", TRUE);
	g_autofree gchar *nickname = loader_string (ld, "nickname", FALSE);
	g_autofree gchar *address = loader_string (ld, "notification-address", FALSE);
	g_autofree gchar *preloaded = loader_string (ld, "preloaded", FALSE);
	g_autoptr(GBytes) aid = NULL;
	g_autoptr(GError) error = NULL;
	VeuiccProfileClass klass;
	VeuiccProfile *profile;
	gboolean enabled;

	if (ld->problem != NULL)
		return FALSE;
	if (!veuicc_parse_profile_class (klass_str, &klass))
		return loader_fail (ld, "class", "unknown class '%s'", klass_str);
	if (g_strcmp0 (state, "enabled") != 0 && g_strcmp0 (state, "disabled") != 0)
		return loader_fail (ld, "state", "must be enabled or disabled, not '%s'", state);
	enabled = g_strcmp0 (state, "enabled") == 0;
	if (nickname != NULL && (strlen (nickname) > 64 || !g_utf8_validate (nickname, -1, NULL)))
		return loader_fail (ld, "nickname", "longer than 64 bytes or not UTF-8");
	aid = esim_hex_decode (aid_hex, NULL);
	if (aid == NULL || g_bytes_get_size (aid) != 16)
		return loader_fail (ld, "aid", "not a 16-byte hex AID");
	if (veuicc_find_profile_by_aid (self, g_bytes_get_data (aid, NULL), 16) != NULL)
		return loader_fail (ld, "aid", "duplicate AID");
	if (enabled && veuicc_find_enabled_profile (self) != NULL)
		return loader_fail (ld, "state", "two profiles are enabled");
	if (!veuicc_add_profile_full (self, iccid, name, provider, klass, enabled,
	                              g_strcmp0 (preloaded, "true") == 0, &error)) {
		/* esim_log_personal already masked the ICCID in the message */
		return loader_fail (ld, "iccid", "%s", error->message);
	}
	profile = g_ptr_array_index (self->profiles, self->profiles->len - 1);
	memcpy (profile->aid, g_bytes_get_data (aid, NULL), 16);
	profile->nickname = g_steal_pointer (&nickname);
	if (!loader_bool (ld, "fallback-allowed", &profile->fallback_allowed) ||
	    !loader_bool (ld, "fallback-attribute", &profile->fallback_attribute))
		return FALSE;
	for (guint i = 0; profile->fallback_attribute && i + 1 < self->profiles->len; i++) {
		if (((VeuiccProfile *) g_ptr_array_index (self->profiles, i))->fallback_attribute)
			return loader_fail (ld, "fallback-attribute", "on two profiles");
	}
	return load_event_addresses (profile, ld, address);
}

/* profile-installation-result: a BF37 whose metadata is the group's (an install). */
static gboolean
load_installation_result (VeuiccNotification *notification, Loader *ld, const gchar *hex)
{
	EsimTlv tlv;

	notification->pir = esim_hex_decode (hex, NULL);
	if (notification->pir == NULL ||
	    !esim_tlv_parse_tagged (g_bytes_get_data (notification->pir, NULL),
	                            g_bytes_get_size (notification->pir),
	                            ESIM_TAG_PROFILE_INSTALLATION_RESULT, &tlv, NULL))
		return loader_fail (ld, "profile-installation-result", "not a BF37 element in hex");
	if (notification->event != VEUICC_EVENT_INSTALL)
		return loader_fail (ld, "profile-installation-result", "on a notification not of an install");
	return TRUE;
}

static gboolean
load_notification_group (EsimVeuicc *self, Loader *ld)
{
	g_autoptr(VeuiccNotification) notification = g_new0 (VeuiccNotification, 1);
	g_autofree gchar *event = NULL;
	g_autofree gchar *signature = NULL;
	g_autofree gchar *pir = NULL;
	g_autoptr(GBytes) sig = NULL;

	if (!loader_uint64 (ld, "seq-number", &notification->seq))
		return FALSE;
	event = loader_string (ld, "event", TRUE);
	notification->address = loader_string (ld, "address", TRUE);
	pir = loader_string (ld, "profile-installation-result", FALSE);
	signature = loader_string (ld, "signature", pir == NULL);
	notification->iccid = loader_string (ld, "iccid", FALSE);
	if (ld->problem != NULL)
		return FALSE;
	if (!parse_event (event, &notification->event))
		return loader_fail (ld, "event", "unknown event '%s'", event);
	if (pir != NULL && !load_installation_result (notification, ld, pir))
		return FALSE;
	if (notification->iccid != NULL && !esim_iccid_is_valid (notification->iccid))
		return loader_fail (ld, "iccid", "not a valid ICCID");
	if (strlen (notification->address) > 255)
		return loader_fail (ld, "address", "too long");
	if (signature != NULL) {
		sig = esim_hex_decode (signature, NULL);
		if (sig == NULL || g_bytes_get_size (sig) != 64)
			return loader_fail (ld, "signature", "not 64 bytes of hex");
		memcpy (notification->signature, g_bytes_get_data (sig, NULL), 64);
	}
	if (notification->seq >= self->next_seq)
		return loader_fail (ld, "seq-number", "not below [card] next-seq-number");
	for (guint i = 0; i < self->notifications->len; i++) {
		VeuiccNotification *other = g_ptr_array_index (self->notifications, i);
		if (other->seq >= notification->seq)
			return loader_fail (ld, "seq-number", "duplicate or out of order");
	}
	for (guint i = 0; i < self->package_results->len; i++) {
		if (((VeuiccPackageResult *) g_ptr_array_index (self->package_results, i))->seq ==
		    notification->seq)
			return loader_fail (ld, "seq-number", "also a package result's");
	}
	if (self->notifications->len >= VEUICC_MAX_NOTIFICATIONS)
		return loader_fail (ld, NULL, "too many notifications");
	g_ptr_array_add (self->notifications, g_steal_pointer (&notification));
	return TRUE;
}

static gboolean
load_eim_group (EsimVeuicc *self, Loader *ld)
{
	g_autoptr(VeuiccEim) eim = g_new0 (VeuiccEim, 1);
	g_autofree gchar *hex = loader_string (ld, "configuration", TRUE);
	g_autoptr(GError) error = NULL;
	gboolean has_token = FALSE, has_counter = FALSE;
	gint64 token = 0, counter = 0;
	EsimTlv tlv;

	if (hex == NULL)
		return FALSE;
	eim->config = esim_hex_decode (hex, NULL);
	if (eim->config == NULL ||
	    !esim_tlv_parse_exact (g_bytes_get_data (eim->config, NULL), g_bytes_get_size (eim->config),
	                           &tlv, &error) ||
	    !veuicc_eim_config_parse (&tlv, eim, NULL, &error))
		return loader_fail (ld, "configuration", "%s",
		                    error != NULL ? error->message : "not hex");
	if (!loader_int64 (ld, "association-token", &has_token, &token) ||
	    !loader_int64 (ld, "counter", &has_counter, &counter))
		return FALSE;
	if (has_token != eim->has_token)
		return loader_fail (ld, "association-token", "does not match the configuration");
	eim->token = token;
	/* a configuration without counterValue gets one from the first package accepted */
	if ((eim->has_counter && !has_counter) || counter < 0 || counter > VEUICC_MAX_COUNTER_VALUE)
		return loader_fail (ld, "counter", "does not match the configuration");
	eim->has_counter = has_counter;
	eim->counter = counter;
	for (guint i = 0; i < self->eims->len; i++) {
		VeuiccEim *other = g_ptr_array_index (self->eims, i);
		if (g_strcmp0 (other->eim_id, eim->eim_id) == 0)
			return loader_fail (ld, "configuration", "duplicate eimId");
	}
	if (self->eims->len >= VEUICC_MAX_EIMS)
		return loader_fail (ld, NULL, "too many eIMs");
	g_ptr_array_add (self->eims, g_steal_pointer (&eim));
	return TRUE;
}

/* Whether @seq is a number a notification or a listed result already has. */
static gboolean
seq_in_use (EsimVeuicc *self, guint64 seq)
{
	for (guint i = 0; i < self->notifications->len; i++) {
		if (((VeuiccNotification *) g_ptr_array_index (self->notifications, i))->seq == seq)
			return TRUE;
	}
	for (guint i = 0; i < self->package_results->len; i++) {
		if (((VeuiccPackageResult *) g_ptr_array_index (self->package_results, i))->seq == seq)
			return TRUE;
	}
	return FALSE;
}

/* [package-result N]: seq-number, result (a signed BF51 in hex) */
static gboolean
load_package_result_group (EsimVeuicc *self, Loader *ld)
{
	g_autofree gchar *hex = NULL;
	g_autoptr(GBytes) result = NULL;
	guint64 seq = 0;
	EsimTlv tlv;
	EsimTlv arm;

	if (!loader_uint64 (ld, "seq-number", &seq) || (hex = loader_string (ld, "result", TRUE)) == NULL)
		return FALSE;
	result = esim_hex_decode (hex, NULL);
	if (result == NULL ||
	    !esim_tlv_parse_tagged (g_bytes_get_data (result, NULL), g_bytes_get_size (result),
	                            ESIM_TAG_LOAD_EUICC_PACKAGE, &tlv, NULL) ||
	    !esim_tlv_parse_exact (tlv.value, tlv.len, &arm, NULL) || arm.tag != ESIM_TAG_EPR_SIGNED)
		return loader_fail (ld, "result", "not a signed EuiccPackageResult (BF51 A0) in hex");
	if (seq >= self->next_seq)
		return loader_fail (ld, "seq-number", "not below [card] next-seq-number");
	if (seq_in_use (self, seq))
		return loader_fail (ld, "seq-number", "given twice");
	if (self->package_results->len >= VEUICC_MAX_PACKAGE_RESULTS)
		return loader_fail (ld, NULL, "too many package results");
	veuicc_add_package_result (self, seq, result);
	return TRUE;
}

/* [rollback]: the way back an enable PSMO with rollbackFlag granted */
static gboolean
load_rollback_group (EsimVeuicc *self, Loader *ld)
{
	g_autoptr(VeuiccRollback) rollback = g_new0 (VeuiccRollback, 1);
	g_autofree gchar *transaction_id = loader_string (ld, "transaction-id", FALSE);
	gboolean has_counter = FALSE;

	rollback->iccid = loader_string (ld, "iccid", TRUE);
	rollback->eim_id = loader_string (ld, "eim-id", TRUE);
	if (rollback->iccid == NULL || rollback->eim_id == NULL ||
	    !loader_int64 (ld, "counter", &has_counter, &rollback->counter) ||
	    !loader_uint64 (ld, "result-seq-number", &rollback->result_seq))
		return FALSE;
	if (!esim_iccid_is_valid (rollback->iccid))
		return loader_fail (ld, "iccid", "not a valid ICCID");
	if (!has_counter)
		return loader_fail (ld, "counter", "missing");
	if (transaction_id != NULL) {
		rollback->transaction_id = esim_hex_decode (transaction_id, NULL);
		if (rollback->transaction_id == NULL ||
		    g_bytes_get_size (rollback->transaction_id) == 0 ||
		    g_bytes_get_size (rollback->transaction_id) > ESIM_TRANSACTION_ID_MAX_LENGTH)
			return loader_fail (ld, "transaction-id", "not 1 to 16 bytes of hex");
	}
	veuicc_rollback_free (self->rollback);
	self->rollback = g_steal_pointer (&rollback);
	return TRUE;
}

/* [faults]: a test's knob, so a daemon can be shown a card that refuses a read. */
static gboolean
load_faults_group (EsimVeuicc *self, Loader *ld)
{
	g_auto(GStrv) keys = g_key_file_get_keys (ld->kf, GROUP_FAULTS, NULL, NULL);

	for (guint i = 0; keys != NULL && keys[i] != NULL; i++) {
		g_autofree gchar *value = loader_string (ld, keys[i], TRUE);
		VeuiccFault fault = { 0 };
		guint64 number = 0;

		if (value == NULL)
			return FALSE;
		if (!g_ascii_string_to_unsigned (keys[i], 16, 1, 0xFFFFFF, &number, NULL))
			return loader_fail (ld, keys[i], "not an ES10 request tag in hex");
		fault.tag = (EsimTag) number;
		if (g_strcmp0 (value, "error") != 0) {
			/* 61xx would announce a response that is not there */
			if (strlen (value) != 4 ||
			    !g_ascii_string_to_unsigned (value, 16, 0x6000, 0x6FFF, &number, NULL) ||
			    (number >> 8) == 0x61)
				return loader_fail (ld, keys[i],
				                    "'%s' is neither a status word 6xxx (not 61xx) nor error",
				                    value);
			fault.sw = (guint16) number;
		}
		if (veuicc_find_fault (self, fault.tag) != NULL)
			return loader_fail (ld, keys[i], "tag given twice");
		if (self->faults->len >= VEUICC_MAX_FAULTS)
			return loader_fail (ld, NULL, "too many faults");
		g_array_append_val (self->faults, fault);
	}
	return TRUE;
}

/* Fills the empty card @self from the key file text @contents. */
static gboolean
state_load_data (EsimVeuicc *self, const gchar *contents, gsize len, const gchar *path,
                 gboolean identity, GError **error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new ();
	g_autoptr(GError) error_local = NULL;
	g_auto(GStrv) groups = NULL;
	Loader ld = { kf, NULL, NULL, identity, FALSE };

	if (!g_key_file_load_from_data (kf, contents, len, G_KEY_FILE_NONE, &error_local)) {
		g_set_error (error, ESIM_VEUICC_ERROR, ESIM_VEUICC_ERROR_CORRUPT,
		             "state file %s is corrupt: %s", path, error_local->message);
		return FALSE;
	}
	if (load_card_group (self, &ld)) {
		groups = g_key_file_get_groups (kf, NULL);
		for (guint i = 0; groups[i] != NULL && ld.problem == NULL; i++) {
			ld.group = groups[i];
			/* a seed made its card: only a test's [faults] is taken from it */
			if (self->from_seed && g_strcmp0 (groups[i], GROUP_FAULTS) != 0)
				continue;
			if (g_str_has_prefix (groups[i], PREFIX_PROFILE))
				load_profile_group (self, &ld);
			else if (g_str_has_prefix (groups[i], PREFIX_NOTIFICATION))
				load_notification_group (self, &ld);
			else if (g_str_has_prefix (groups[i], PREFIX_EIM))
				load_eim_group (self, &ld);
			else if (g_str_has_prefix (groups[i], PREFIX_PACKAGE_RESULT))
				load_package_result_group (self, &ld);
			else if (g_strcmp0 (groups[i], GROUP_ROLLBACK) == 0)
				load_rollback_group (self, &ld);
			else if (g_strcmp0 (groups[i], GROUP_FAULTS) == 0)
				load_faults_group (self, &ld);
		}
	}
	if (ld.problem != NULL && ld.unavailable) {
		/* the file is fine; what it names is not there (yet): not to be overwritten either */
		g_set_error (error, ESIM_VEUICC_ERROR, ESIM_VEUICC_ERROR_IO,
		             "state file %s: cannot load the card's credentials: %s", path, ld.problem);
		g_free (ld.problem);
		return FALSE;
	}
	if (ld.problem != NULL) {
		g_set_error (error, ESIM_VEUICC_ERROR, ESIM_VEUICC_ERROR_CORRUPT,
		             "state file %s is corrupt: %s", path, ld.problem);
		g_free (ld.problem);
		return FALSE;
	}
	return TRUE;
}

void
veuicc_state_clear_saved (EsimVeuicc *self)
{
	if (self->saved_state != NULL)
		memset (self->saved_state, 0, strlen (self->saved_state));
	g_clear_pointer (&self->saved_state, g_free);
}

gboolean
veuicc_state_load (EsimVeuicc *self, gboolean *missing, GError **error)
{
	g_autoptr(GError) error_local = NULL;
	g_autofree gchar *contents = NULL;
	gsize len = 0;
	guint n_links = 0;

	*missing = FALSE;
	/* the path is resolved: a link there now was put in after, and is not followed */
	if (!esim_file_read_regular (self->path, VEUICC_MAX_STATE_FILE_SIZE, TRUE, &contents, &len,
	                             &self->file_id, &n_links, &error_local)) {
		if (g_error_matches (error_local, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)) {
			*missing = TRUE;
			return FALSE;
		}
		if (g_error_matches (error_local, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE))
			g_set_error (error, ESIM_VEUICC_ERROR, ESIM_VEUICC_ERROR_CORRUPT,
			             "state file %s is corrupt: %s", self->path, error_local->message);
		else
			g_set_error (error, ESIM_VEUICC_ERROR, ESIM_VEUICC_ERROR_IO,
			             "state file %s: %s", self->path, error_local->message);
		return FALSE;
	}
	/* a NUL inside would cut the copy kept for rollbacks short of what was loaded */
	if (memchr (contents, '\0', len) != NULL) {
		g_set_error (error, ESIM_VEUICC_ERROR, ESIM_VEUICC_ERROR_CORRUPT,
		             "state file %s is corrupt: it contains a NUL byte", self->path);
		return FALSE;
	}
	if (!state_load_data (self, contents, len, self->path, TRUE, error))
		return FALSE;
	if (n_links > 1)
		g_warning ("state file %s has %u names (hard links): a save replaces this one, "
		           "the others keep the card as it was", self->path, n_links);
	veuicc_state_clear_saved (self);
	self->saved_state = g_steal_pointer (&contents);
	return TRUE;
}

/* "<file>.XXXXXX" from GLib's g_file_set_contents(), which saved the card before
 * esim_file_replace() did: a state file copy under that name may as well be one the
 * user keeps (card.ini.backup), so it is named, never deleted. */
static void
warn_old_temporary (const gchar *dir, const gchar *name)
{
	g_autofree gchar *full = g_build_filename (dir, name, NULL);
	g_autofree gchar *contents = NULL;
	gsize len = 0;
	GStatBuf st;

	if (g_lstat (full, &st) != 0 || !S_ISREG (st.st_mode) || st.st_uid != geteuid () ||
	    (st.st_mode & 0077) != 0)
		return;
	if (!esim_file_read_regular (full, VEUICC_MAX_STATE_FILE_SIZE, TRUE, &contents, &len, NULL,
	                             NULL, NULL) ||
	    !g_str_has_prefix (contents, "[" GROUP_CARD "]"))
		return;
	g_warning ("%s looks like a temporary file an older esimd left when it was killed while "
	           "saving: it holds the card's private keys; delete it unless it is a copy you keep",
	           full);
}

void
veuicc_state_remove_leftovers (EsimVeuicc *self)
{
	g_autofree gchar *dir = g_path_get_dirname (self->path);
	g_autofree gchar *base = g_path_get_basename (self->path);
	g_autoptr(GDir) listing = NULL;
	gsize base_len = strlen (base);
	const gchar *name;
	guint removed;

	removed = esim_file_remove_temporaries (self->path);
	if (removed > 0)
		g_message ("removed %u temporary file(s) a killed save of %s left behind", removed,
		           self->path);
	listing = g_dir_open (dir, 0, NULL);
	while (listing != NULL && (name = g_dir_read_name (listing)) != NULL) {
		if (strlen (name) == base_len + 7 && g_str_has_prefix (name, base) &&
		    name[base_len] == '.' &&
		    strspn (name + base_len + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		                                 "abcdefghijklmnopqrstuvwxyz0123456789") == 6)
			warn_old_temporary (dir, name);
	}
}

/* ---- saving ----------------------------------------------------------------------------- */

/* One address for every event keeps the file as cards before downloads wrote it. */
static void
save_event_addresses (GKeyFile *kf, const gchar *group, const VeuiccProfile *profile)
{
	gboolean same = profile->event_address[0] != NULL;

	for (guint i = 1; i < VEUICC_N_EVENTS; i++)
		same = same && g_strcmp0 (profile->event_address[i], profile->event_address[0]) == 0;
	if (same) {
		g_key_file_set_string (kf, group, "notification-address", profile->event_address[0]);
		return;
	}
	for (guint i = 0; i < VEUICC_N_EVENTS; i++) {
		if (profile->event_address[i] != NULL)
			g_key_file_set_string (kf, group, notify_keys[i], profile->event_address[i]);
	}
}

static void
save_profile (GKeyFile *kf, const gchar *group, const VeuiccProfile *profile)
{
	g_autofree gchar *aid = esim_hex_encode (profile->aid, sizeof (profile->aid));
	g_key_file_set_string (kf, group, "iccid", profile->iccid);
	g_key_file_set_string (kf, group, "aid", aid);
	g_key_file_set_string (kf, group, "name", profile->name);
	g_key_file_set_string (kf, group, "service-provider", profile->provider);
	g_key_file_set_string (kf, group, "class", class_names[profile->klass]);
	g_key_file_set_string (kf, group, "state", profile->enabled ? "enabled" : "disabled");
	if (profile->nickname != NULL)
		g_key_file_set_string (kf, group, "nickname", profile->nickname);
	save_event_addresses (kf, group, profile);
	g_key_file_set_string (kf, group, "preloaded", profile->preloaded ? "true" : "false");
	if (profile->fallback_allowed)
		g_key_file_set_string (kf, group, "fallback-allowed", "true");
	if (profile->fallback_attribute)
		g_key_file_set_string (kf, group, "fallback-attribute", "true");
}

static void
save_package_result (GKeyFile *kf, const gchar *group, const VeuiccPackageResult *result)
{
	g_autofree gchar *seq = g_strdup_printf ("%" G_GUINT64_FORMAT, result->seq);
	g_autofree gchar *hex = esim_hex_encode_bytes (result->result);

	g_key_file_set_string (kf, group, "seq-number", seq);
	g_key_file_set_string (kf, group, "result", hex);
}

static void
save_rollback (GKeyFile *kf, const VeuiccRollback *rollback)
{
	g_autofree gchar *counter = g_strdup_printf ("%" G_GINT64_FORMAT, rollback->counter);
	g_autofree gchar *seq = g_strdup_printf ("%" G_GUINT64_FORMAT, rollback->result_seq);

	g_key_file_set_string (kf, GROUP_ROLLBACK, "iccid", rollback->iccid);
	g_key_file_set_string (kf, GROUP_ROLLBACK, "eim-id", rollback->eim_id);
	g_key_file_set_string (kf, GROUP_ROLLBACK, "counter", counter);
	if (rollback->transaction_id != NULL) {
		g_autofree gchar *hex = esim_hex_encode_bytes (rollback->transaction_id);
		g_key_file_set_string (kf, GROUP_ROLLBACK, "transaction-id", hex);
	}
	g_key_file_set_string (kf, GROUP_ROLLBACK, "result-seq-number", seq);
}

static void
save_immediate_enable (EsimVeuicc *self, GKeyFile *kf)
{
	if (self->immediate_enable)
		g_key_file_set_string (kf, GROUP_CARD, "immediate-enable", "true");
	if (self->immediate_enable_smdp_oid != NULL) {
		g_autofree gchar *hex = esim_hex_encode_bytes (self->immediate_enable_smdp_oid);
		g_key_file_set_string (kf, GROUP_CARD, "immediate-enable-smdp-oid", hex);
	}
	if (self->immediate_enable_smdp_address != NULL)
		g_key_file_set_string (kf, GROUP_CARD, "immediate-enable-smdp-address",
		                       self->immediate_enable_smdp_address);
}

static void
save_notification (GKeyFile *kf, const gchar *group, const VeuiccNotification *notification)
{
	g_autofree gchar *sig = esim_hex_encode (notification->signature, 64);
	g_autofree gchar *seq = g_strdup_printf ("%" G_GUINT64_FORMAT, notification->seq);
	g_key_file_set_string (kf, group, "seq-number", seq);
	g_key_file_set_string (kf, group, "event", event_names[notification->event]);
	if (notification->iccid != NULL)
		g_key_file_set_string (kf, group, "iccid", notification->iccid);
	g_key_file_set_string (kf, group, "address", notification->address);
	if (notification->pir != NULL) {
		g_autofree gchar *pir = esim_hex_encode_bytes (notification->pir);
		g_key_file_set_string (kf, group, "profile-installation-result", pir);
	} else {
		g_key_file_set_string (kf, group, "signature", sig);
	}
}

static void
save_eim (GKeyFile *kf, const gchar *group, const VeuiccEim *eim)
{
	g_autofree gchar *hex = esim_hex_encode_bytes (eim->config);
	g_key_file_set_string (kf, group, "configuration", hex);
	if (eim->has_token) {
		g_autofree gchar *token = g_strdup_printf ("%" G_GINT64_FORMAT, eim->token);
		g_key_file_set_string (kf, group, "association-token", token);
	}
	if (eim->has_counter) {
		g_autofree gchar *counter = g_strdup_printf ("%" G_GINT64_FORMAT, eim->counter);
		g_key_file_set_string (kf, group, "counter", counter);
	}
}

static GKeyFile *
state_to_keyfile (EsimVeuicc *self)
{
	GKeyFile *kf = g_key_file_new ();
	g_autofree gchar *next_seq = g_strdup_printf ("%" G_GUINT64_FORMAT, self->next_seq);
	g_autofree gchar *next_token = g_strdup_printf ("%" G_GINT64_FORMAT, self->next_token);

	g_key_file_set_integer (kf, GROUP_CARD, "version", VEUICC_STATE_VERSION);
	g_key_file_set_string (kf, GROUP_CARD, "eid", self->eid);
	g_key_file_set_string (kf, GROUP_CARD, "next-seq-number", next_seq);
	g_key_file_set_string (kf, GROUP_CARD, "next-association-token", next_token);
	g_key_file_set_string (kf, GROUP_CARD, "root-ds-address", self->root_ds_address);
	if (self->default_dp_address != NULL)
		g_key_file_set_string (kf, GROUP_CARD, "default-dp-address", self->default_dp_address);
	if (self->max_profiles != VEUICC_MAX_PROFILES)
		g_key_file_set_integer (kf, GROUP_CARD, "max-profiles", (gint) self->max_profiles);
	save_immediate_enable (self, kf);
	/* credentials stay in their files; keys of its own live here */
	if (self->credentials != NULL) {
		g_key_file_set_string (kf, GROUP_CARD, "credentials", self->credentials);
	} else {
		for (guint i = 0; i < G_N_ELEMENTS (pem_keys); i++)
			g_key_file_set_string (kf, GROUP_KEYS, pem_keys[i],
			                       veuicc_crypto_get_pem (self->crypto, i));
	}
	for (guint i = 0; i < self->profiles->len; i++) {
		g_autofree gchar *group = g_strdup_printf (PREFIX_PROFILE "%u", i);
		save_profile (kf, group, g_ptr_array_index (self->profiles, i));
	}
	for (guint i = 0; i < self->notifications->len; i++) {
		g_autofree gchar *group = g_strdup_printf (PREFIX_NOTIFICATION "%u", i);
		save_notification (kf, group, g_ptr_array_index (self->notifications, i));
	}
	for (guint i = 0; i < self->eims->len; i++) {
		g_autofree gchar *group = g_strdup_printf (PREFIX_EIM "%u", i);
		save_eim (kf, group, g_ptr_array_index (self->eims, i));
	}
	for (guint i = 0; i < self->package_results->len; i++) {
		g_autofree gchar *group = g_strdup_printf (PREFIX_PACKAGE_RESULT "%u", i);
		save_package_result (kf, group, g_ptr_array_index (self->package_results, i));
	}
	if (self->rollback != NULL)
		save_rollback (kf, self->rollback);
	for (guint i = 0; i < self->faults->len; i++) {
		const VeuiccFault *fault = &g_array_index (self->faults, VeuiccFault, i);
		g_autofree gchar *key = g_strdup_printf ("%X", fault->tag);
		g_autofree gchar *sw = g_strdup_printf ("%04X", fault->sw);
		g_key_file_set_string (kf, GROUP_FAULTS, key, fault->sw != 0 ? sw : "error");
	}
	return kf;
}

gboolean
veuicc_state_save (EsimVeuicc *self, GError **error)
{
	g_autoptr(GKeyFile) kf = NULL;
	g_autoptr(GError) error_local = NULL;
	g_autofree gchar *data = NULL;
	gsize len = 0;

	if (self->path == NULL)
		return TRUE;
	kf = state_to_keyfile (self);
	data = g_key_file_to_data (kf, &len, NULL);
	/* private keys inside: owner-only.  Temporary file, fsync, rename, so a crash
	 * leaves the old or the new card, never half of one (seqNumbers must not repeat) */
	if (!esim_file_replace (self->path, data, len, &self->file_id, &error_local)) {
		g_set_error (error, ESIM_VEUICC_ERROR, ESIM_VEUICC_ERROR_IO,
		             "cannot write state file %s: %s", self->path, error_local->message);
		return FALSE;
	}
	veuicc_state_clear_saved (self);
	self->saved_state = g_steal_pointer (&data);
	return TRUE;
}

/* Puts the state of the last saved file back in memory.  The file is not read again: it
 * may be out of reach now (that is often why the save failed), and memory holds its text. */
static void
state_rollback (EsimVeuicc *self)
{
	g_autoptr(EsimVeuicc) saved = NULL;
	g_autoptr(GError) error = NULL;

	if (self->saved_state == NULL)
		return;
	saved = g_object_new (ESIM_TYPE_VEUICC, NULL);
	if (!state_load_data (saved, self->saved_state, strlen (self->saved_state), self->path, FALSE,
	                      &error)) {
		/* only if memory was corrupted: we wrote that text ourselves */
		g_critical ("cannot roll back to the saved card state: %s", error->message);
		return;
	}
	/* EID and keys never change; everything else is taken from @saved */
	g_ptr_array_unref (g_steal_pointer (&self->profiles));
	g_ptr_array_unref (g_steal_pointer (&self->notifications));
	g_ptr_array_unref (g_steal_pointer (&self->eims));
	g_ptr_array_unref (g_steal_pointer (&self->package_results));
	self->profiles = g_ptr_array_ref (saved->profiles);
	self->notifications = g_ptr_array_ref (saved->notifications);
	self->eims = g_ptr_array_ref (saved->eims);
	self->package_results = g_ptr_array_ref (saved->package_results);
	veuicc_rollback_free (self->rollback);
	self->rollback = g_steal_pointer (&saved->rollback);
	self->immediate_enable = saved->immediate_enable;
	g_clear_pointer (&self->immediate_enable_smdp_oid, g_bytes_unref);
	self->immediate_enable_smdp_oid = g_steal_pointer (&saved->immediate_enable_smdp_oid);
	g_free (self->immediate_enable_smdp_address);
	self->immediate_enable_smdp_address = g_steal_pointer (&saved->immediate_enable_smdp_address);
	self->next_seq = saved->next_seq;
	self->next_token = saved->next_token;
	g_free (self->default_dp_address);
	self->default_dp_address = g_steal_pointer (&saved->default_dp_address);
	g_free (self->root_ds_address);
	self->root_ds_address = g_steal_pointer (&saved->root_ds_address);
}

void
veuicc_state_revert (EsimVeuicc *self)
{
	if (self->saved_state == NULL)
		g_warning ("an unfinished change stays in memory: this card has no saved state");
	state_rollback (self);
}

gboolean
veuicc_state_commit (EsimVeuicc *self, GError **error)
{
	if (veuicc_state_save (self, error))
		return TRUE;
	state_rollback (self);
	return FALSE;
}
