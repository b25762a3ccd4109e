/* The live domain XML, read with libxml2's XPath (see lv.h). Entities are
 * not expanded and the network is never touched: the text comes from
 * libvirt, but it carries what users wrote into their domains. */
#include "vmm/libvirt/lv.h"

#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_XML (4u << 20)

int lv_parse_cpuset(const char *text, va_cpumask *out)
{
    va_cpumask add, sub;
    va_cpumask_zero(&add);
    va_cpumask_zero(&sub);
    char buf[1024], *save = NULL;
    if (strlen(text) >= sizeof buf)
        return va_fail(VMACCEL_EPARSE, "libvirt cpuset longer than %zu bytes", sizeof buf);
    snprintf(buf, sizeof buf, "%s", text);
    for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        while (*item == ' ')
            item++;
        bool exclude = *item == '^';
        va_cpumask m;
        int rc = va_cpumask_parse(item + exclude, &m);
        if (rc)
            return va_fail(VMACCEL_EPARSE, "libvirt cpuset \"%s\": bad item \"%s\"", text,
                           item);
        for (unsigned c = 0; c < VA_MAX_CPUS; c++)
            if (va_cpumask_isset(&m, c))
                va_cpumask_set(exclude ? &sub : &add, c);
    }
    va_cpumask_andnot(out, &add, &sub);
    return 0;
}

typedef struct doc {
    xmlDocPtr xml;
    xmlXPathContextPtr xp;
} doc;

/* The string value of an XPath expression ("" when absent), into buf. */
static void text_of(doc *d, const char *expr, char *buf, size_t len)
{
    buf[0] = '\0';
    xmlXPathObjectPtr r = lv_api.xmlXPathEvalExpression((const xmlChar *)expr, d->xp);
    if (r && r->type == XPATH_STRING && r->stringval)
        snprintf(buf, len, "%s", (const char *)r->stringval);
    lv_api.xmlXPathFreeObject(r);
}

static void attr_of(xmlNodePtr n, const char *name, char *buf, size_t len)
{
    xmlChar *v = lv_api.xmlGetProp(n, (const xmlChar *)name);
    snprintf(buf, len, "%s", v ? (const char *)v : "");
    (*lv_api.xml_free)(v);
}

/* Calls fn for each node of an XPath node set. */
static int each(doc *d, const char *expr, int (*fn)(xmlNodePtr, lv_facts *), lv_facts *f)
{
    xmlXPathObjectPtr r = lv_api.xmlXPathEvalExpression((const xmlChar *)expr, d->xp);
    int rc = 0;
    for (int i = 0; r && r->nodesetval && !rc && i < r->nodesetval->nodeNr; i++)
        rc = fn(r->nodesetval->nodeTab[i], f);
    lv_api.xmlXPathFreeObject(r);
    return rc;
}

static int vcpu_index(xmlNodePtr n, const char *attr, const lv_facts *f, unsigned *out)
{
    char v[16], *end;
    attr_of(n, attr, v, sizeof v);
    unsigned long i = strtoul(v, &end, 10);
    if (!v[0] || *end || i >= f->vcpus)
        return va_fail(VMACCEL_EPARSE, "domain XML: %s=\"%s\" is not a vCPU of the domain's "
                       "%u", attr, v, f->vcpus);
    *out = (unsigned)i;
    return 0;
}

static int checked_cpuset(const char *what, const char *value)
{
    va_cpumask m;
    int rc = lv_parse_cpuset(value, &m);
    if (!rc && va_cpumask_empty(&m))
        rc = va_fail(VMACCEL_EPARSE, "domain XML: %s \"%s\" is empty", what, value);
    return rc;
}

static int take_vcpupin(xmlNodePtr n, lv_facts *f)
{
    unsigned i = 0;
    int rc = vcpu_index(n, "vcpu", f, &i);
    if (!rc)
        attr_of(n, "cpuset", f->vcpupin[i], sizeof f->vcpupin[i]);
    return rc ? rc : checked_cpuset("<vcpupin cpuset>", f->vcpupin[i]);
}

static int take_cell(xmlNodePtr n, lv_facts *f)
{
    char id[16], cpus[256], *end;
    attr_of(n, "id", id, sizeof id);
    attr_of(n, "cpus", cpus, sizeof cpus);
    long cell = strtol(id, &end, 10);
    va_cpumask m;
    if (!id[0] || *end || cell < 0 || cell > 4095 || lv_parse_cpuset(cpus, &m))
        return va_fail(VMACCEL_EPARSE, "domain XML: a NUMA <cell> with id \"%s\" and "
                       "cpus \"%s\"", id, cpus);
    for (unsigned v = 0; v < f->vcpus; v++)
        if (va_cpumask_isset(&m, v))
            f->guest_node[v] = (int)cell;
    return 0;
}

static int take_record(xmlNodePtr n, lv_facts *f)
{
    unsigned i = 0;
    int rc = vcpu_index(n, "id", f, &i);
    if (rc)
        return rc;
    lv_pin_record *r = &f->ours[i];
    attr_of(n, "cpuset", r->cpuset, sizeof r->cpuset);
    attr_of(n, "was", r->was, sizeof r->was);
    r->present = true;
    rc = checked_cpuset("vm-accel's pin record", r->cpuset);
    return !rc && r->was[0] ? checked_cpuset("vm-accel's pin record", r->was) : rc;
}

static int alloc_per_vcpu(lv_facts *f)
{
    f->vcpupin = calloc(f->vcpus, sizeof *f->vcpupin);
    f->guest_node = calloc(f->vcpus, sizeof *f->guest_node);
    f->ours = calloc(f->vcpus, sizeof *f->ours);
    if (!f->vcpupin || !f->guest_node || !f->ours)
        return va_fail(VMACCEL_ENOMEM, "out of memory reading the domain XML");
    for (unsigned v = 0; v < f->vcpus; v++)
        f->guest_node[v] = -1;
    return 0;
}

static int read_vcpus(doc *d, lv_facts *f)
{
    char count[16], *end;
    text_of(d, "string(/domain/vcpu)", count, sizeof count);
    unsigned long n = strtoul(count, &end, 10);
    if (!count[0] || *end || n == 0 || n > LV_MAX_VCPUS)
        return va_fail(VMACCEL_EPARSE, "domain XML: <vcpu> \"%s\" is not 1..%d", count,
                       LV_MAX_VCPUS);
    f->vcpus = (unsigned)n;
    text_of(d, "string(/domain/vcpu/@cpuset)", f->vcpu_cpuset, sizeof f->vcpu_cpuset);
    text_of(d, "string(/domain/vcpu/@placement)", f->vcpu_placement,
            sizeof f->vcpu_placement);
    int rc = alloc_per_vcpu(f);
    if (!rc && f->vcpu_cpuset[0])
        rc = checked_cpuset("<vcpu cpuset>", f->vcpu_cpuset);
    if (!rc)
        rc = each(d, "/domain/cputune/vcpupin", take_vcpupin, f);
    if (!rc)
        rc = each(d, "/domain/cpu/numa/cell", take_cell, f);
    return rc;
}

static int read_all(doc *d, lv_facts *f)
{
    text_of(d, "string(/domain/name)", f->name, sizeof f->name);
    text_of(d, "string(/domain/uuid)", f->uuid, sizeof f->uuid);
    int rc = read_vcpus(d, f);
    if (rc)
        return rc;
    text_of(d, "string(/domain/numatune/memory/@mode)", f->mem_mode, sizeof f->mem_mode);
    text_of(d, "string(/domain/numatune/memory/@nodeset)", f->mem_nodeset,
            sizeof f->mem_nodeset);
    text_of(d, "string(/domain/numatune/memory/@placement)", f->mem_placement,
            sizeof f->mem_placement);
    if (f->mem_nodeset[0] && (rc = checked_cpuset("<numatune> nodeset", f->mem_nodeset)))
        return rc;
    return each(d, "/domain/metadata/" LV_NS_PREFIX ":pins/*[local-name()='vcpu']",
                take_record, f);
}

int lv_parse_domain_xml(const char *xml, size_t len, lv_facts *out)
{
    memset(out, 0, sizeof *out);
    if (len > MAX_XML || len > (size_t)INT32_MAX)
        return va_fail(VMACCEL_EPARSE, "domain XML of %zu bytes (at most %u)", len, MAX_XML);
    doc d = {lv_api.xmlReadMemory(xml, (int)len, "domain.xml", NULL,
                           XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING),
             NULL};
    if (!d.xml)
        return va_fail(VMACCEL_EPARSE, "the domain XML is not well-formed");
    d.xp = lv_api.xmlXPathNewContext(d.xml);
    int rc = d.xp && lv_api.xmlXPathRegisterNs(d.xp, (const xmlChar *)LV_NS_PREFIX,
                                        (const xmlChar *)LV_NS_URI) == 0
                 ? read_all(&d, out)
                 : va_fail(VMACCEL_ENOMEM, "out of memory for XPath");
    lv_api.xmlXPathFreeContext(d.xp);
    lv_api.xmlFreeDoc(d.xml);
    if (rc)
        lv_facts_free(out);
    return rc;
}

void lv_facts_free(lv_facts *f)
{
    free(f->vcpupin);
    free(f->guest_node);
    free(f->ours);
    memset(f, 0, sizeof *f);
}

char *lv_pins_xml(const lv_pin_record *ours, size_t n)
{
    size_t cap = 64 + n * 600, used = 0;
    char *x = malloc(cap);
    if (!x)
        return NULL;
    used += (size_t)snprintf(x, cap, "<pins>");
    for (size_t i = 0; i < n; i++)
        if (ours[i].present)
            used += (size_t)snprintf(x + used, cap - used,
                                     "<vcpu id='%zu' cpuset='%s' was='%s'/>", i,
                                     ours[i].cpuset, ours[i].was);
    snprintf(x + used, cap - used, "</pins>");
    return x;
}
