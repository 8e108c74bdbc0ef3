/*
 * A PKCS#11 module that lies, for the tests of our binding's guards (FakePkcs11.cs compiles it once per test run).
 * Only the functions the binding calls are here; the other entries of the function list answer
 * CKR_FUNCTION_NOT_SUPPORTED. One slot, one token ("fake"), a few Ed25519 key objects, no login; C_Sign answers every
 * message with RFC 8032's first test signature, which is right for the empty message only.
 *
 * The misbehaviour is chosen by the file's own name, fake_pkcs11@MODE@N.so (the fixture copies the compiled module
 * under that name; dladdr tells us which copy we are), so tests running at once each load their own copy with its
 * own mode, and no environment variable is shared between them:
 *   honest       every answer as PKCS#11 3.0 says
 *   labels       labels compared as C strings (up to the first NUL), as a module that keeps them in char arrays
 *                does; objects labelled "k\0evil", "bad\xff" (not UTF-8) and "ok"
 *   ids          CKA_IDs compared as C strings, the same way: a pair with the id 01 00 ee (answers id:01, where no
 *                object has that id), a private key "lonely" (id 05) whose only public match is "other" (05 00 ee),
 *                and the honest pair "ok" (id 03)
 *   attr_huge    C_GetAttributeValue announces 2^62 bytes for CKA_ID and CKA_LABEL
 *   attr_wrap    C_GetAttributeValue announces ~0UL - 1 bytes for CKA_ID and 0x12 for CKA_LABEL: their sum wraps to 16
 *   attr_grow    the second C_GetAttributeValue says CKA_EC_POINT is 4096 bytes, more than the buffer it was given
 *   attr_flip    CKA_LABEL is unavailable in the module's first C_GetAttributeValue and has a length afterwards
 *   attr_repoint the second C_GetAttributeValue writes CKA_EC_POINT into the caller's buffer, then points pValue at
 *                another value of the same length in its own memory
 *   twins        two tokens labelled "fake", in slots 0 (serial 0001) and 7 (serial 0002)
 *   clones       two tokens with serial 0001, in slots 0 ("fake") and 7 ("fake2")
 *   slots_huge   C_GetSlotList announces 2^40 slots
 *   slots_over   C_GetSlotList answers 5 slots into room for 1 (it writes only one)
 *   find_over    C_FindObjects says it returned one handle more than it was asked for
 *   find_endless C_FindObjects never says "no more" (it gives up after 1 000 000 handles, so an unguarded caller ends
 *                and fails rather than hangs the test run)
 * and modes that really write one element past the room they were given, and say nothing of it (a count as asked):
 *   slots_overrun  C_GetSlotList writes a second slot id (0) into room for one
 *   find_overrun   C_FindObjects writes a handle (0) after the last one it was asked for
 *   attr_overrun   the second C_GetAttributeValue writes a byte (0) after CKA_EC_POINT's room
 *   sign_overrun   C_Sign writes a byte (0) after the signature's 64 bytes
 * (zeros, so that the code before the guards, which had no room there, came through them unharmed in its test run)
 *
 * The constants are PKCS#11's own values (pkcs11t.h); the types are declared here as the LP64 ABI lays them out.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

typedef unsigned long CK_ULONG;
typedef unsigned char CK_BYTE;
typedef CK_ULONG CK_RV;

typedef struct { CK_BYTE major, minor; } CK_VERSION;

typedef struct {
    CK_VERSION cryptoki_version;
    CK_BYTE manufacturer_id[32];
    CK_ULONG flags;
    CK_BYTE library_description[32];
    CK_VERSION library_version;
} CK_INFO;

typedef struct {
    CK_BYTE slot_description[64];
    CK_BYTE manufacturer_id[32];
    CK_ULONG flags;
    CK_VERSION hardware_version, firmware_version;
} CK_SLOT_INFO;

typedef struct {
    CK_BYTE label[32], manufacturer_id[32], model[16], serial_number[16];
    CK_ULONG flags, max_session_count, session_count, max_rw_session_count, rw_session_count, max_pin_len, min_pin_len;
    CK_ULONG total_public_memory, free_public_memory, total_private_memory, free_private_memory;
    CK_VERSION hardware_version, firmware_version;
    CK_BYTE utc_time[16];
} CK_TOKEN_INFO;

typedef struct { CK_ULONG slot_id, state, flags, device_error; } CK_SESSION_INFO;

typedef struct { CK_ULONG type; void *value; CK_ULONG value_len; } CK_ATTRIBUTE;

/* CK_FUNCTION_LIST of PKCS#11 2.40: its version, then 68 function pointers in the standard's order. */
enum {
    F_INITIALIZE = 0, F_FINALIZE = 1, F_GET_INFO = 2, F_GET_FUNCTION_LIST = 3, F_GET_SLOT_LIST = 4, F_GET_SLOT_INFO = 5,
    F_GET_TOKEN_INFO = 6, F_OPEN_SESSION = 12, F_CLOSE_SESSION = 13, F_GET_SESSION_INFO = 15, F_LOGIN = 18, F_LOGOUT = 19,
    F_DESTROY_OBJECT = 22, F_GET_ATTRIBUTE_VALUE = 24, F_FIND_OBJECTS_INIT = 26, F_FIND_OBJECTS = 27,
    F_FIND_OBJECTS_FINAL = 28, F_SIGN_INIT = 42, F_SIGN = 43, F_GENERATE_KEY_PAIR = 59, F_COUNT = 68,
};

typedef struct { CK_VERSION version; void *functions[F_COUNT]; } CK_FUNCTION_LIST;

#define CK_UNAVAILABLE_INFORMATION (~0UL)
#define CKR_OK 0x0UL
#define CKR_ARGUMENTS_BAD 0x7UL
#define CKR_ATTRIBUTE_SENSITIVE 0x11UL
#define CKR_ATTRIBUTE_TYPE_INVALID 0x12UL
#define CKR_FUNCTION_NOT_SUPPORTED 0x54UL
#define CKR_OBJECT_HANDLE_INVALID 0x82UL
#define CKR_OPERATION_ACTIVE 0x90UL
#define CKR_OPERATION_NOT_INITIALIZED 0x91UL
#define CKR_SESSION_COUNT 0xb1UL
#define CKR_SESSION_HANDLE_INVALID 0xb3UL
#define CKR_BUFFER_TOO_SMALL 0x150UL
#define CKR_CRYPTOKI_NOT_INITIALIZED 0x190UL
#define CKR_CRYPTOKI_ALREADY_INITIALIZED 0x191UL
#define CKF_TOKEN_PRESENT 0x1UL
#define CKF_TOKEN_INITIALIZED 0x400UL
#define CKS_RO_PUBLIC_SESSION 0UL
#define CKS_RW_PUBLIC_SESSION 2UL
#define CKF_RW_SESSION 0x2UL
#define CKA_CLASS 0x0UL
#define CKA_PRIVATE 0x2UL
#define CKA_LABEL 0x3UL
#define CKA_KEY_TYPE 0x100UL
#define CKA_ID 0x102UL
#define CKA_LOCAL 0x163UL
#define CKA_EC_POINT 0x181UL
#define CKA_ALWAYS_AUTHENTICATE 0x202UL
#define CKO_PUBLIC_KEY 0x2UL
#define CKO_PRIVATE_KEY 0x3UL
#define CKK_EC_EDWARDS 0x40UL

enum mode { HONEST, LABELS, IDS, ATTR_HUGE, ATTR_WRAP, ATTR_GROW, ATTR_FLIP, ATTR_REPOINT, TWINS, CLONES, SLOTS_HUGE, SLOTS_OVER, FIND_OVER, FIND_ENDLESS,
    SLOTS_OVERRUN, FIND_OVERRUN, ATTR_OVERRUN, SIGN_OVERRUN };

static const struct { const char *name; enum mode mode; } modes[] = {
    { "honest", HONEST }, { "labels", LABELS }, { "ids", IDS }, { "attr_huge", ATTR_HUGE }, { "attr_wrap", ATTR_WRAP },
    { "attr_grow", ATTR_GROW }, { "attr_flip", ATTR_FLIP }, { "attr_repoint", ATTR_REPOINT },
    { "twins", TWINS }, { "clones", CLONES }, { "slots_huge", SLOTS_HUGE }, { "slots_over", SLOTS_OVER }, { "find_over", FIND_OVER }, { "find_endless", FIND_ENDLESS },
    { "slots_overrun", SLOTS_OVERRUN }, { "find_overrun", FIND_OVERRUN }, { "attr_overrun", ATTR_OVERRUN },
    { "sign_overrun", SIGN_OVERRUN },
};

typedef struct {
    CK_ULONG handle, class;
    const char *label;
    CK_ULONG label_len;
    const char *id;
    CK_ULONG id_len;
} object;

/* Two halves per key, the public one first; both of one key share its CKA_ID and label. */
static const object honest_objects[] = {
    { 1, CKO_PUBLIC_KEY, "ok", 2, "\x03", 1 }, { 2, CKO_PRIVATE_KEY, "ok", 2, "\x03", 1 },
};
static const object label_objects[] = {
    { 1, CKO_PUBLIC_KEY, "k\0evil", 6, "\x01", 1 }, { 2, CKO_PRIVATE_KEY, "k\0evil", 6, "\x01", 1 },
    { 3, CKO_PUBLIC_KEY, "bad\xff", 4, "\x02", 1 }, { 4, CKO_PRIVATE_KEY, "bad\xff", 4, "\x02", 1 },
    { 5, CKO_PUBLIC_KEY, "ok", 2, "\x03", 1 }, { 6, CKO_PRIVATE_KEY, "ok", 2, "\x03", 1 },
};
/* ids: no object has the id 01, and "lonely" (05) has no public half, but each is answered as a C string compare would. */
static const object id_objects[] = {
    { 1, CKO_PUBLIC_KEY, "evil", 4, "\x01\x00\xee", 3 }, { 2, CKO_PRIVATE_KEY, "evil", 4, "\x01\x00\xee", 3 },
    { 3, CKO_PRIVATE_KEY, "lonely", 6, "\x05", 1 }, { 4, CKO_PUBLIC_KEY, "other", 5, "\x05\x00\xee", 3 },
    { 5, CKO_PUBLIC_KEY, "ok", 2, "\x03", 1 }, { 6, CKO_PRIVATE_KEY, "ok", 2, "\x03", 1 },
};

/* RFC 8032's first test signature: the empty message's, by the key below. */
static const CK_BYTE signature[64] = {
    0xe5, 0x56, 0x43, 0x00, 0xc3, 0x60, 0xac, 0x72, 0x90, 0x86, 0xe2, 0xcc, 0x80, 0x6e, 0x82, 0x8a,
    0x84, 0x87, 0x7f, 0x1e, 0xb8, 0xe5, 0xd9, 0x74, 0xd8, 0x73, 0xe0, 0x65, 0x22, 0x49, 0x01, 0x55,
    0x5f, 0xb8, 0x82, 0x15, 0x90, 0xa3, 0x3b, 0xac, 0xc6, 0x1e, 0x39, 0x70, 0x1c, 0xf9, 0xb4, 0x6b,
    0xd2, 0x5b, 0xf5, 0xf0, 0x59, 0x5b, 0xbe, 0x24, 0x65, 0x51, 0x41, 0x43, 0x8e, 0x7a, 0x10, 0x0b,
};

/* CKA_EC_POINT: DER OCTET STRING of RFC 8032's first test public key. */
static const CK_BYTE ec_point[34] = {
    0x04, 0x20, 0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
    0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
};

#define MAX_SESSIONS 16
#define ENDLESS_GIVES_UP 1000000UL

static enum mode current = HONEST;
static int initialized;
static CK_BYTE foreign[4096]; /* what attr_repoint points the caller at */
static CK_ULONG attribute_calls; /* attr_flip: the first C_GetAttributeValue of the run answers otherwise than the next */

static struct {
    int open, rw, finding, signing;
    CK_ATTRIBUTE template[8];
    CK_BYTE values[8][64];
    CK_ULONG count, next, handed_out;
} sessions[MAX_SESSIONS];

static const object *objects(CK_ULONG *count)
{
    if (current == LABELS) {
        *count = sizeof label_objects / sizeof label_objects[0];
        return label_objects;
    }
    if (current == IDS) {
        *count = sizeof id_objects / sizeof id_objects[0];
        return id_objects;
    }
    *count = sizeof honest_objects / sizeof honest_objects[0];
    return honest_objects;
}

static const object *find_object(CK_ULONG handle)
{
    CK_ULONG count;
    const object *all = objects(&count);
    for (CK_ULONG i = 0; i < count; i++)
        if (all[i].handle == handle)
            return &all[i];
    return NULL;
}

static void mode_from_file_name(void)
{
    Dl_info info;
    if (!dladdr((void *)&mode_from_file_name, &info) || !info.dli_fname)
        return;
    const char *name = strrchr(info.dli_fname, '/');
    const char *at = strchr(name ? name : info.dli_fname, '@');
    if (!at)
        return;
    at++;
    const char *end = strchr(at, '@');
    size_t length = end ? (size_t)(end - at) : strlen(at);
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (strlen(modes[i].name) == length && strncmp(modes[i].name, at, length) == 0)
            current = modes[i].mode;
}

static void padded(CK_BYTE *field, size_t size, const char *text)
{
    memset(field, ' ', size);
    memcpy(field, text, strlen(text));
}

static int session_index(CK_ULONG session)
{
    return session >= 1 && session <= MAX_SESSIONS && sessions[session - 1].open ? (int)session - 1 : -1;
}

static CK_RV unsupported(void) { return CKR_FUNCTION_NOT_SUPPORTED; }

static CK_RV initialize(void *args)
{
    (void)args;
    if (initialized)
        return CKR_CRYPTOKI_ALREADY_INITIALIZED;
    mode_from_file_name();
    memset(sessions, 0, sizeof sessions);
    attribute_calls = 0;
    initialized = 1;
    return CKR_OK;
}

static CK_RV finalize(void *reserved)
{
    (void)reserved;
    if (!initialized)
        return CKR_CRYPTOKI_NOT_INITIALIZED;
    initialized = 0;
    return CKR_OK;
}

static CK_RV get_info(CK_INFO *info)
{
    memset(info, 0, sizeof *info);
    info->cryptoki_version.major = 3;
    padded(info->manufacturer_id, sizeof info->manufacturer_id, "KeyCustody tests");
    padded(info->library_description, sizeof info->library_description, "fake PKCS#11 module");
    info->library_version.major = 1;
    return CKR_OK;
}

/* The tokens: one in slot 0, and in twins and clones a second one in slot 7. */
#define SECOND_SLOT 7UL

static CK_ULONG slot_count(void)
{
    return current == TWINS || current == CLONES ? 2 : 1;
}

static CK_RV get_slot_list(CK_BYTE token_present, CK_ULONG *slots, CK_ULONG *count)
{
    (void)token_present;
    if (!count)
        return CKR_ARGUMENTS_BAD;
    if (!slots) {
        *count = current == SLOTS_HUGE ? 1UL << 40 : slot_count();
        return CKR_OK;
    }
    if (*count < slot_count()) {
        *count = slot_count();
        return CKR_BUFFER_TOO_SMALL;
    }
    slots[0] = 0;
    if (slot_count() > 1)
        slots[1] = SECOND_SLOT;
    if (current == SLOTS_OVERRUN)
        slots[*count] = 0; /* one past the room given */
    *count = current == SLOTS_OVER ? 5 : slot_count();
    return CKR_OK;
}

static CK_RV get_slot_info(CK_ULONG slot, CK_SLOT_INFO *info)
{
    (void)slot;
    memset(info, 0, sizeof *info);
    padded(info->slot_description, sizeof info->slot_description, "fake slot");
    padded(info->manufacturer_id, sizeof info->manufacturer_id, "KeyCustody tests");
    info->flags = CKF_TOKEN_PRESENT;
    return CKR_OK;
}

static CK_RV get_token_info(CK_ULONG slot, CK_TOKEN_INFO *info)
{
    int second = slot == SECOND_SLOT && slot_count() > 1;
    memset(info, 0, sizeof *info);
    padded(info->label, sizeof info->label, second && current == CLONES ? "fake2" : "fake");
    padded(info->manufacturer_id, sizeof info->manufacturer_id, "KeyCustody tests");
    padded(info->model, sizeof info->model, "fake");
    padded(info->serial_number, sizeof info->serial_number, second && current == TWINS ? "0002" : "0001");
    padded(info->utc_time, sizeof info->utc_time, "");
    info->flags = CKF_TOKEN_INITIALIZED;
    info->max_session_count = MAX_SESSIONS;
    info->max_rw_session_count = MAX_SESSIONS;
    info->max_pin_len = 8;
    info->min_pin_len = 4;
    return CKR_OK;
}

static CK_RV open_session(CK_ULONG slot, CK_ULONG flags, void *application, void *notify, CK_ULONG *session)
{
    (void)slot, (void)application, (void)notify;
    for (int i = 0; i < MAX_SESSIONS; i++) {
        if (!sessions[i].open) {
            memset(&sessions[i], 0, sizeof sessions[i]);
            sessions[i].open = 1;
            sessions[i].rw = (flags & CKF_RW_SESSION) != 0;
            *session = (CK_ULONG)i + 1;
            return CKR_OK;
        }
    }
    return CKR_SESSION_COUNT;
}

static CK_RV close_session(CK_ULONG session)
{
    int s = session_index(session);
    if (s < 0)
        return CKR_SESSION_HANDLE_INVALID;
    sessions[s].open = 0;
    return CKR_OK;
}

static CK_RV get_session_info(CK_ULONG session, CK_SESSION_INFO *info)
{
    int s = session_index(session);
    if (s < 0)
        return CKR_SESSION_HANDLE_INVALID;
    memset(info, 0, sizeof *info);
    info->state = sessions[s].rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
    return CKR_OK;
}

/* An object's value for one attribute: its bytes and their length, or 0 for an attribute it does not have. */
static int value_of(const object *o, CK_ULONG type, const void **value, CK_ULONG *length, CK_ULONG *scratch)
{
    static const CK_BYTE no = 0;
    switch (type) {
    case CKA_CLASS:
        *scratch = o->class;
        *value = scratch;
        *length = sizeof(CK_ULONG);
        return 1;
    case CKA_KEY_TYPE:
        *scratch = CKK_EC_EDWARDS;
        *value = scratch;
        *length = sizeof(CK_ULONG);
        return 1;
    case CKA_LABEL:
        *value = o->label;
        *length = o->label_len;
        return 1;
    case CKA_ID:
        *value = o->id;
        *length = o->id_len;
        return 1;
    case CKA_EC_POINT:
        if (o->class != CKO_PUBLIC_KEY)
            return 0;
        *value = ec_point;
        *length = sizeof ec_point;
        return 1;
    case CKA_PRIVATE:
    case CKA_ALWAYS_AUTHENTICATE:
    case CKA_LOCAL:
        if (o->class != CKO_PRIVATE_KEY)
            return 0;
        *value = &no;
        *length = 1;
        return 1;
    default:
        return 0;
    }
}

static int first_call(const CK_ATTRIBUTE *entry)
{
    return entry->value == NULL;
}

static CK_RV get_attribute_value(CK_ULONG session, CK_ULONG handle, CK_ATTRIBUTE *template, CK_ULONG count)
{
    if (session_index(session) < 0)
        return CKR_SESSION_HANDLE_INVALID;
    const object *o = find_object(handle);
    if (!o)
        return CKR_OBJECT_HANDLE_INVALID;
    CK_RV rv = CKR_OK;
    attribute_calls++;
    for (CK_ULONG i = 0; i < count; i++) {
        CK_ATTRIBUTE *entry = &template[i];
        const void *value;
        CK_ULONG length, scratch;
        int has = value_of(o, entry->type, &value, &length, &scratch);

        /* The lies, each in the call where it does harm. */
        if ((current == ATTR_HUGE || current == ATTR_WRAP) && (entry->type == CKA_ID || entry->type == CKA_LABEL)) {
            if (first_call(entry))
                entry->value_len = current == ATTR_HUGE ? 1UL << 62 : entry->type == CKA_ID ? ~0UL - 1 : 0x12;
            continue; /* the second call writes nothing where those lengths would put it */
        }
        if (current == ATTR_GROW && entry->type == CKA_EC_POINT && !first_call(entry) && has) {
            memcpy(entry->value, value, length < entry->value_len ? length : entry->value_len);
            entry->value_len = sizeof foreign;
            continue;
        }
        if (current == ATTR_REPOINT && entry->type == CKA_EC_POINT && !first_call(entry) && has) {
            /* The value goes where it belongs, then pValue is pointed at another point of the same length. */
            memcpy(entry->value, value, length);
            memset(foreign, 0xee, sizeof foreign);
            memcpy(foreign, value, 2);
            entry->value = foreign;
            entry->value_len = length;
            continue;
        }
        if (current == ATTR_OVERRUN && entry->type == CKA_EC_POINT && !first_call(entry) && has && entry->value_len >= length) {
            memcpy(entry->value, value, length);
            ((CK_BYTE *)entry->value)[entry->value_len] = 0; /* one past the room given */
            entry->value_len = length;
            continue;
        }
        if (current == ATTR_FLIP && entry->type == CKA_LABEL) {
            if (attribute_calls == 1) {
                entry->value_len = CK_UNAVAILABLE_INFORMATION;
                rv = CKR_ATTRIBUTE_TYPE_INVALID;
            } else {
                entry->value_len = length;
            }
            continue;
        }

        if (!has) {
            entry->value_len = CK_UNAVAILABLE_INFORMATION;
            rv = CKR_ATTRIBUTE_TYPE_INVALID;
        } else if (entry->value == NULL) {
            entry->value_len = length;
        } else if (entry->value_len >= length) {
            memcpy(entry->value, value, length);
            entry->value_len = length;
        } else {
            entry->value_len = CK_UNAVAILABLE_INFORMATION;
            if (rv == CKR_OK)
                rv = CKR_BUFFER_TOO_SMALL;
        }
    }
    return rv;
}

static int label_matches(const object *o, const CK_ATTRIBUTE *wanted)
{
    if (current == LABELS) {
        /* A C module's strcmp: both end at their first NUL. */
        size_t a = strnlen(o->label, o->label_len), b = strnlen((const char *)wanted->value, wanted->value_len);
        return a == b && memcmp(o->label, wanted->value, a) == 0;
    }
    return o->label_len == wanted->value_len && memcmp(o->label, wanted->value, o->label_len) == 0;
}

/* A C module's strcmp on ids: both end at their first NUL. */
static int id_matches_as_c_strings(const object *o, const CK_ATTRIBUTE *wanted)
{
    size_t a = strnlen(o->id, o->id_len), b = strnlen((const char *)wanted->value, wanted->value_len);
    return a == b && memcmp(o->id, wanted->value, a) == 0;
}

static int matches(const object *o, const CK_ATTRIBUTE *criteria, CK_ULONG count)
{
    for (CK_ULONG i = 0; i < count; i++) {
        const CK_ATTRIBUTE *c = &criteria[i];
        if (c->type == CKA_LABEL) {
            if (!label_matches(o, c))
                return 0;
            continue;
        }
        if (c->type == CKA_ID && current == IDS) {
            if (!id_matches_as_c_strings(o, c))
                return 0;
            continue;
        }
        const void *value;
        CK_ULONG length, scratch;
        if (!value_of(o, c->type, &value, &length, &scratch) || length != c->value_len || memcmp(value, c->value, length) != 0)
            return 0;
    }
    return 1;
}

static CK_RV find_objects_init(CK_ULONG session, CK_ATTRIBUTE *template, CK_ULONG count)
{
    int s = session_index(session);
    if (s < 0)
        return CKR_SESSION_HANDLE_INVALID;
    if (sessions[s].finding)
        return CKR_OPERATION_ACTIVE;
    if (count > 8)
        return CKR_ARGUMENTS_BAD;
    for (CK_ULONG i = 0; i < count; i++) {
        if (template[i].value_len > sizeof sessions[s].values[i])
            return CKR_ARGUMENTS_BAD;
        sessions[s].template[i].type = template[i].type;
        sessions[s].template[i].value = sessions[s].values[i];
        sessions[s].template[i].value_len = template[i].value_len;
        if (template[i].value_len)
            memcpy(sessions[s].values[i], template[i].value, template[i].value_len);
    }
    sessions[s].count = count;
    sessions[s].next = 0;
    sessions[s].handed_out = 0;
    sessions[s].finding = 1;
    return CKR_OK;
}

static CK_RV find_objects(CK_ULONG session, CK_ULONG *handles, CK_ULONG maximum, CK_ULONG *found)
{
    int s = session_index(session);
    if (s < 0)
        return CKR_SESSION_HANDLE_INVALID;
    if (!sessions[s].finding)
        return CKR_OPERATION_NOT_INITIALIZED;
    *found = 0;
    if (current == FIND_ENDLESS) {
        for (CK_ULONG i = 0; i < maximum && sessions[s].handed_out < ENDLESS_GIVES_UP; i++)
            handles[(*found)++] = 1000 + sessions[s].handed_out++;
        return CKR_OK;
    }
    CK_ULONG count;
    const object *all = objects(&count);
    while (sessions[s].next < count && *found < maximum) {
        const object *o = &all[sessions[s].next++];
        if (matches(o, sessions[s].template, sessions[s].count))
            handles[(*found)++] = o->handle;
    }
    if (current == FIND_OVERRUN)
        handles[maximum] = 0; /* one past the room given */
    if (current == FIND_OVER && *found > 0 && sessions[s].handed_out++ == 0)
        *found = maximum + 1; /* a lie about the count only: nothing is written past the caller's array */
    return CKR_OK;
}

static CK_RV find_objects_final(CK_ULONG session)
{
    int s = session_index(session);
    if (s < 0)
        return CKR_SESSION_HANDLE_INVALID;
    if (!sessions[s].finding)
        return CKR_OPERATION_NOT_INITIALIZED;
    sessions[s].finding = 0;
    return CKR_OK;
}

static CK_RV sign_init(CK_ULONG session, void *mechanism, CK_ULONG key)
{
    (void)mechanism;
    int s = session_index(session);
    if (s < 0)
        return CKR_SESSION_HANDLE_INVALID;
    const object *o = find_object(key);
    if (!o || o->class != CKO_PRIVATE_KEY)
        return CKR_OBJECT_HANDLE_INVALID;
    if (sessions[s].signing)
        return CKR_OPERATION_ACTIVE;
    sessions[s].signing = 1;
    return CKR_OK;
}

static CK_RV sign(CK_ULONG session, const CK_BYTE *data, CK_ULONG data_len, CK_BYTE *out, CK_ULONG *out_len)
{
    (void)data, (void)data_len;
    int s = session_index(session);
    if (s < 0)
        return CKR_SESSION_HANDLE_INVALID;
    if (!sessions[s].signing)
        return CKR_OPERATION_NOT_INITIALIZED;
    if (!out_len)
        return CKR_ARGUMENTS_BAD;
    if (!out) {
        *out_len = sizeof signature;
        return CKR_OK;
    }
    if (*out_len < sizeof signature) {
        *out_len = sizeof signature;
        return CKR_BUFFER_TOO_SMALL;
    }
    memcpy(out, signature, sizeof signature);
    if (current == SIGN_OVERRUN)
        out[*out_len] = 0; /* one past the room given */
    *out_len = sizeof signature;
    sessions[s].signing = 0;
    return CKR_OK;
}

static CK_FUNCTION_LIST function_list;

CK_RV C_GetFunctionList(CK_FUNCTION_LIST **list)
{
    if (!list)
        return CKR_ARGUMENTS_BAD;
    function_list.version.major = 2;
    function_list.version.minor = 40;
    for (int i = 0; i < F_COUNT; i++)
        function_list.functions[i] = (void *)&unsupported;
    function_list.functions[F_INITIALIZE] = (void *)&initialize;
    function_list.functions[F_FINALIZE] = (void *)&finalize;
    function_list.functions[F_GET_INFO] = (void *)&get_info;
    function_list.functions[F_GET_FUNCTION_LIST] = (void *)&C_GetFunctionList;
    function_list.functions[F_GET_SLOT_LIST] = (void *)&get_slot_list;
    function_list.functions[F_GET_SLOT_INFO] = (void *)&get_slot_info;
    function_list.functions[F_GET_TOKEN_INFO] = (void *)&get_token_info;
    function_list.functions[F_OPEN_SESSION] = (void *)&open_session;
    function_list.functions[F_CLOSE_SESSION] = (void *)&close_session;
    function_list.functions[F_GET_SESSION_INFO] = (void *)&get_session_info;
    function_list.functions[F_GET_ATTRIBUTE_VALUE] = (void *)&get_attribute_value;
    function_list.functions[F_FIND_OBJECTS_INIT] = (void *)&find_objects_init;
    function_list.functions[F_FIND_OBJECTS] = (void *)&find_objects;
    function_list.functions[F_FIND_OBJECTS_FINAL] = (void *)&find_objects_final;
    function_list.functions[F_SIGN_INIT] = (void *)&sign_init;
    function_list.functions[F_SIGN] = (void *)&sign;
    /* C_Login, C_Logout, C_DestroyObject, C_GenerateKeyPair: bound by the binding, not used here. */
    *list = &function_list;
    return CKR_OK;
}
