// A host-side model of an endpoint's Address Translation Cache (PCIe ATS):
// it keeps the Translation Completions the SMMU gave it, answers from them
// until an ATS Invalidate Request removes them, and completes invalidations
// either at once or later (as a device with an invalidation queue does).
#pragma once

#include <vmaccel/vmaccel.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <tuple>
#include <vector>

namespace smmu_test {

class AtcModel {
public:
    struct Entry {
        uint64_t addr, size, out;
        unsigned perm;
    };
    bool deferred = false; // complete invalidations later (complete_all)
    bool fail = false;     // report invalidations as failed (a timeout)

    // Asks the SMMU (ATS Translation Request) unless a cached completion
    // covers iova; false when the SMMU granted nothing.
    bool translate(vmaccel_smmu *s, uint32_t sid, uint32_t ssid, uint64_t iova,
                   unsigned access, Entry *out, bool *asked = nullptr)
    {
        {
            std::lock_guard<std::mutex> l(mu_);
            for (auto &kv : entries_)
                if (std::get<0>(kv.first) == sid && std::get<1>(kv.first) == ssid &&
                    iova - kv.second.addr < kv.second.size &&
                    (kv.second.perm & access & 3) == (access & 3)) {
                    *out = kv.second;
                    if (asked)
                        *asked = false;
                    return true;
                }
        }
        if (asked)
            *asked = true;
        // Not under mu_: the SMMU may call on_inv while it holds its lock.
        vmaccel_smmu_ats_result r;
        if (vmaccel_smmu_ats_translate(s, sid, ssid, iova, access, &r) ||
            r.status != VMACCEL_SMMU_ATS_SUCCESS || !r.perm)
            return false;
        uint64_t base = iova & ~(r.size - 1);
        *out = {base, r.size, r.addr, r.perm};
        std::lock_guard<std::mutex> l(mu_);
        entries_[std::make_tuple(sid, ssid, base)] = *out;
        return true;
    }
    size_t size()
    {
        std::lock_guard<std::mutex> l(mu_);
        return entries_.size();
    }
    // The endpoint_ops atc_inv callback (ctx: the AtcModel).
    static int on_inv(void *ctx, const vmaccel_smmu_atc_inv *inv)
    {
        AtcModel *a = static_cast<AtcModel *>(ctx);
        std::lock_guard<std::mutex> l(a->mu_);
        a->received.push_back(*inv);
        if (a->deferred) {
            a->pending_.push_back(*inv);
            return VMACCEL_EAGAIN;
        }
        a->apply(*inv);
        return a->fail ? VMACCEL_ETIMEDOUT : 0;
    }
    // Applies and completes the deferred invalidations.
    void complete_all(vmaccel_smmu *s)
    {
        std::vector<vmaccel_smmu_atc_inv> todo;
        {
            std::lock_guard<std::mutex> l(mu_);
            todo.swap(pending_);
            for (const auto &inv : todo)
                apply(inv);
        }
        for (const auto &inv : todo)
            vmaccel_smmu_atc_inv_done(s, inv.id, fail ? VMACCEL_ETIMEDOUT : 0);
    }
    std::vector<vmaccel_smmu_atc_inv> received;

private:
    // Removes the entries of the request's function that overlap its span:
    // with a PASID, that PASID's (and every PASID's with Global set);
    // without one, the entries cached without a PASID.
    void apply(const vmaccel_smmu_atc_inv &inv)
    {
        uint64_t last = inv.log2size >= 64 ? ~0ull : inv.addr + ((1ull << inv.log2size) - 1);
        for (auto it = entries_.begin(); it != entries_.end();) {
            uint32_t sid = std::get<0>(it->first), ssid = std::get<1>(it->first);
            const Entry &e = it->second;
            bool who = sid == inv.sid && (ssid == inv.ssid || (inv.global && ssid != VMACCEL_SMMU_NO_SSID));
            bool overlaps = e.addr <= last && inv.addr <= e.addr + (e.size - 1);
            it = who && overlaps ? entries_.erase(it) : std::next(it);
        }
    }
    std::mutex mu_;
    std::map<std::tuple<uint32_t, uint32_t, uint64_t>, Entry> entries_;
    std::vector<vmaccel_smmu_atc_inv> pending_;
};

} // namespace smmu_test
