# Type stubs for the vmaccel package (the Pythonic layer). The SWIG module
# vmaccel.capi is left untyped on purpose: use the classes below.
import enum
from dataclasses import dataclass
from types import TracebackType
from typing import Any, AsyncIterator, Dict, Iterator, List, Optional, Sequence, Tuple, Type

from . import vmaccel_pb2 as pb
from . import capi as capi

__version__: str

def version() -> str: ...
def version_number() -> int: ...
def strerror(code: int) -> str: ...
def render_event(event: pb.Event | bytes | bytearray | memoryview, format: Format = ...) -> str: ...

class Format(enum.IntEnum):
    PROTOBUF = 0
    TEXT = 1
    JSON = 2

class ObjectKind(enum.IntEnum):
    PACKAGE = 0
    NUMA_NODE = 1
    CORE = 2
    PU = 3
    L1_CACHE = 4
    L2_CACHE = 5
    L3_CACHE = 6

class TopologySource(enum.IntEnum):
    LIVE = 0
    XML = 1
    SYNTHETIC = 2

class Component(enum.IntEnum):
    SMMU = 0
    VCPU_AFFINITY = 1
    NUMA = 2

class ComponentState(enum.IntEnum):
    OFF = 0
    ON = 1
    SKIPPED = 2

class Hypervisor(enum.IntEnum):
    KVM = 0
    HVF = 1
    WHPX = 2

class HvStatus(enum.IntEnum):
    AVAILABLE = 0
    UNAVAILABLE = 1
    NOT_APPLICABLE = 2

class IommuKind(enum.IntEnum):
    NONE = 0
    SMMUV3 = 1
    INTEL_VTD = 2
    AMD_VI = 3
    OTHER = 4

class Strategy(enum.IntEnum):
    LOCAL_FIRST = 0
    LOAD_BALANCED = 1
    BANDWIDTH_OPTIMIZED = 2
    ADAPTIVE = 3

class SmtPolicy(enum.IntEnum):
    SPREAD = 0
    PACK = 1
    ONE_PER_CORE = 2

class EventType(enum.IntEnum):
    VM_ATTACHED = 1
    VM_GONE = 2
    LOCALITY_CHANGED = 3
    REBALANCE_PLANNED = 4
    REBALANCE_APPLIED = 5
    REBALANCE_FAILED = 6
    TOPOLOGY_CHANGED = 7
    IOTLB_REPARTITIONED = 8
    REBALANCE_DEFERRED = 9
    VCPUS_PINNED = 10

class NumaFix(enum.IntEnum):
    CHEAPER = 0
    MOVE_VCPUS = 1
    MIGRATE_MEMORY = 2

class LocalitySource(enum.IntEnum):
    NONE = 0
    NUMA_FAULTS = 1
    PAGE_PLACEMENT = 2

class AllocPolicy(enum.IntEnum):
    LOCAL = 0
    ONNODE = 1
    INTERLEAVE = 2

@dataclass(frozen=True)
class NumaOptions:
    interval_ms: int = ...
    threshold: float = ...
    hysteresis: float = ...
    trigger_samples: int = ...
    cooldown_samples: int = ...
    migrate_mb_per_s: int = ...
    sample_error: float = ...
    fix: NumaFix = ...
    dry_run: bool = ...
    migrate_workers: int = ...
    migrate_whole: bool = ...
    override_pins: bool = ...
    migrate_stop_vcpus: bool = ...

@dataclass(frozen=True)
class Locality:
    source: LocalitySource
    local_rate: float
    home_node: int
    samples: int
    vcpu_moves: int
    memory_migrations: int
    pages_migrated: int
    failures: int
    @property
    def measured(self) -> bool: ...

class NumaBuffer:
    size: int
    policy: AllocPolicy
    node: int
    address: int
    @property
    def view(self) -> memoryview: ...
    @property
    def region(self) -> Tuple[int, int]: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> None: ...
    def __len__(self) -> int: ...
    def __enter__(self) -> NumaBuffer: ...
    def __exit__(self, t: Optional[Type[BaseException]], v: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None: ...

@dataclass(frozen=True)
class EventStats:
    emitted: int
    queue_dropped: int
    callback_dropped: int
    queue_length: int
    queue_capacity: int
    subscribers: int

def strategy_name(s: Strategy) -> str: ...
def parse_strategy(name: str) -> Strategy: ...

class VmmKind(enum.IntEnum):
    EXPLICIT = 0
    QEMU = 1
    CLOUD_HYPERVISOR = 2
    FIRECRACKER = 3
    CROSVM = 4

class SchedPolicy(enum.IntEnum):
    UNCHANGED = 0
    OTHER = 1
    FIFO = 2
    RR = 3

class Origin(enum.IntEnum):
    NONE = 0
    CGROUP = 1
    AFFINITY = 2
    LIBVIRT = 3
    QEMU = 4

class VmControl(enum.IntEnum):
    OS = 0
    LIBVIRT = 1

class VcpuDiscovery(enum.IntEnum):
    THREAD_NAMES = 0
    EXPLICIT = 1
    QMP = 2
    LIBVIRT_MONITOR = 3

def libvirt_domains(uri: Optional[str] = ...) -> List[str]: ...

class Error(Exception):
    code: int
    name: str
    message: str
    def __init__(self, message: str = ..., code: Optional[int] = ...) -> None: ...

class InvalidArgument(Error, ValueError): ...
class OutOfMemory(Error, MemoryError): ...
class NotSupported(Error): ...
class NotFound(Error, LookupError): ...
class PermissionDenied(Error): ...
class StateError(Error): ...
class IOFailure(Error): ...
class ParseError(Error, ValueError): ...
class Timeout(Error): ...
class Gone(Error): ...
class Busy(Error): ...
class OutOfRange(Error, ValueError): ...
class Again(Error): ...
class Fault(Error): ...

def error_class(code: int) -> Type[Error]: ...

@dataclass(frozen=True)
class Pu:
    index: int
    os_index: int
    core: int
    package: int
    numa_node: int
    l1: Optional[int]
    l2: Optional[int]
    l3: Optional[int]
    allowed: bool

@dataclass(frozen=True)
class NumaNode:
    index: int
    os_index: int
    memory_bytes: int
    pu_count: int

@dataclass(frozen=True)
class Cache:
    level: int
    index: int
    size_bytes: int
    line_size: int
    pu_count: int

@dataclass(frozen=True)
class ComponentStatus:
    state: ComponentState
    reason: str

@dataclass(frozen=True)
class HypervisorInfo:
    kind: Hypervisor
    status: HvStatus
    api_version: int
    max_vcpus: int
    recommended_vcpus: int
    reason: str

@dataclass(frozen=True)
class IommuInfo:
    present: bool
    kind: IommuKind
    units: int
    groups: int
    dt_smmuv3_nodes: int
    reason: str

class Topology:
    @classmethod
    def load(cls, *, synthetic: Optional[str] = ..., xml: Optional[str] = ...,
             allowed_cpus: Optional[str] = ...) -> Topology: ...
    def close(self) -> None: ...
    def __enter__(self) -> Topology: ...
    def __exit__(self, t: Optional[Type[BaseException]], v: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None: ...
    def count(self, kind: ObjectKind) -> int: ...
    def pu(self, index: int) -> Pu: ...
    @property
    def pus(self) -> List[Pu]: ...
    def numa_node(self, index: int) -> NumaNode: ...
    @property
    def numa_nodes(self) -> List[NumaNode]: ...
    def distance(self, src: int, dst: int) -> int: ...
    @property
    def distances(self) -> List[List[int]]: ...
    def cache(self, kind: ObjectKind, index: int) -> Cache: ...
    def caches(self, kind: ObjectKind) -> List[Cache]: ...
    def object_cpus(self, kind: ObjectKind, index: int) -> List[int]: ...
    @property
    def allowed_cpus(self) -> List[int]: ...
    def report_bytes(self, format: Format = ...) -> bytes: ...
    def report(self) -> pb.Topology: ...

class SmmuMode(enum.IntEnum):
    ABORT = 0
    BYPASS = 1
    S1 = 2
    S2 = 3
    NESTED = 4

class InvalScope(enum.IntEnum):
    ALL = 0
    VMID = 1
    ASID = 2
    RANGE = 3

class SmmuEvent(enum.IntEnum):
    NONE = 0x00
    C_BAD_STREAMID = 0x02
    F_STE_FETCH = 0x03
    C_BAD_STE = 0x04
    F_BAD_ATS_TREQ = 0x05
    F_STREAM_DISABLED = 0x06
    F_TRANSL_FORBIDDEN = 0x07
    C_BAD_SUBSTREAMID = 0x08
    F_CD_FETCH = 0x09
    C_BAD_CD = 0x0A
    F_WALK_EABT = 0x0B
    F_TRANSLATION = 0x10
    F_ADDR_SIZE = 0x11
    F_ACCESS = 0x12
    F_PERMISSION = 0x13

class Access(enum.IntFlag):
    NONE = 0
    READ = 1
    WRITE = 2
    EXEC = 4
    PRIV = 8

@dataclass(frozen=True)
class Translation:
    pa: int
    size: int
    perm: Access

@dataclass(frozen=True)
class SmmuFault:
    event: int
    stage: int
    level: int
    fault_class: int
    input_addr: int
    ipa: int
    fetch_addr: int
    recorded: bool

class TranslationFault(Fault):
    fault: SmmuFault
    def __init__(self, fault: SmmuFault) -> None: ...

class TransactionStalled(TranslationFault):
    stall_id: int
    def __init__(self, fault: SmmuFault, stall_id: int) -> None: ...

class BatchFault(TranslationFault):
    translated: List[Translation]
    def __init__(self, fault: SmmuFault, translated: List[Translation]) -> None: ...

class StallEnd(enum.IntEnum):
    PENDING = 0
    RETRY = 1
    ABORT = 2

class AtsStatus(enum.IntEnum):
    SUCCESS = 0
    UR = 1
    CA = 4

class PprOutcome(enum.IntEnum):
    QUEUED = 0
    OVERFLOW = 1
    DISABLED = 2
    ABORT = 3

class PrgCode(enum.IntEnum):
    SUCCESS = 0x0
    INVALID_REQUEST = 0x1
    FAILURE = 0xF

@dataclass(frozen=True)
class AtsCompletion:
    status: AtsStatus
    addr: int
    size: int
    perm: Access

@dataclass(frozen=True)
class AtcInvalidation:
    id: int
    sid: int
    ssid: Optional[int]
    global_: bool
    addr: int
    log2size: int

@dataclass(frozen=True)
class PrgResponse:
    sid: int
    ssid: Optional[int]
    prg_index: int
    code: PrgCode
    automatic: bool

class SmmuEndpoint:
    def __init__(self) -> None: ...
    def messages(self) -> Iterator[AtcInvalidation | PrgResponse]: ...
    @property
    def dropped(self) -> int: ...

@dataclass(frozen=True)
class StreamStats:
    sid: int
    hits: int
    misses: int
    walks: int
    faults: int
    iotlb_quota: int
    iotlb_used: int

class GuestMemory:
    base: int
    size: int
    def __init__(self, base: int, size: int) -> None: ...
    def write(self, addr: int, data: bytes | bytearray | memoryview) -> None: ...
    def write_u64(self, addr: int, value: int) -> None: ...
    def read(self, addr: int, length: int) -> bytes: ...
    def read_u64(self, addr: int) -> int: ...

class Smmu:
    def __init__(self, iotlb_entries: int = ...) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> Smmu: ...
    def __exit__(self, t: Optional[Type[BaseException]], v: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None: ...
    def use_memory(self, memory: Optional[GuestMemory]) -> None: ...
    def attach(self, sid: int, mode: SmmuMode, **fields: int | bool) -> None: ...
    def detach(self, sid: int) -> None: ...
    def translate(self, sid: int, iova: int, access: Access = ...,
                  ssid: Optional[int] = ...) -> Translation: ...
    def translate_many(self, sid: int, iovas: Sequence[int], access: Access = ...,
                       ssid: Optional[int] = ...) -> List[Translation]: ...
    def translate_stallable(self, sid: int, iova: int, access: Access = ...,
                            ssid: Optional[int] = ...) -> Translation: ...
    def stall_wait(self, stall_id: int, timeout_ms: int = ...) -> StallEnd: ...
    def ats_translate(self, sid: int, iova: int, access: Access = ...,
                      ssid: Optional[int] = ...) -> AtsCompletion: ...
    def ats_translated(self, sid: int, pa: int, access: Access = ...) -> bool: ...
    def page_request(self, sid: int, addr: int, access: Access = ..., prg_index: int = ...,
                     last: bool = ..., stop: bool = ...,
                     ssid: Optional[int] = ...) -> PprOutcome: ...
    def use_endpoint(self, endpoint: Optional[SmmuEndpoint]) -> None: ...
    def atc_inv_done(self, inv_id: int, ok: bool = ...) -> None: ...
    def invalidate(self, scope: InvalScope, vmid: int = ..., asid: int = ...,
                   addr: int = ..., size: int = ...) -> None: ...
    def stream_stats(self, sid: int) -> StreamStats: ...
    def set_partitioning(self, adaptive: bool, interval: int = ...) -> None: ...
    def repartition(self) -> None: ...
    def mmio_read(self, offset: int, size: int = ...) -> int: ...
    def mmio_write(self, offset: int, value: int, size: int = ...) -> None: ...

@dataclass(frozen=True)
class VcpuPlacement:
    vcpu: int
    cpu: int
    numa_node: int

class Plan:
    def __init__(self, topology: Topology, strategy: Strategy = ...,
                 smt: SmtPolicy = ..., reserved_cpus: Optional[str] = ...) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> Plan: ...
    def __exit__(self, t: Optional[Type[BaseException]], v: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None: ...
    def add_vm(self, vcpus: int, memory_per_node: Optional[Sequence[int]] = ...) -> int: ...
    def compute(self) -> None: ...
    def vcpu(self, vm: int, vcpu: int) -> Tuple[int, int]: ...
    def placement(self, vm: int, vcpus: int) -> List[VcpuPlacement]: ...
    def score(self, vm: Optional[int] = ...) -> float: ...
    def report_bytes(self, format: Format = ...) -> bytes: ...
    def report(self) -> pb.DiagnosticReport: ...

@dataclass(frozen=True)
class VmInfo:
    id: int
    pid: int
    in_process: bool
    gone: bool
    vmm: VmmKind
    vcpu_count: int
    memory_regions: int
    memory_bytes: int
    name: str
    discovery: VcpuDiscovery
    control: VmControl
    domain: str
    control_note: str

@dataclass(frozen=True)
class VcpuLimits:
    cpus: str
    cpus_origin: Origin
    cpus_source: str
    mems: str
    mems_source: str
    operator_pinned: bool
    pinned_cpus: str
    pin_origin: Origin
    pin_source: str
    memory_pinned: bool
    pinned_mems: str
    mem_pin_source: str
    kept: bool
    overrode: bool
    guest_node: Optional[int]

@dataclass(frozen=True)
class VcpuInfo:
    index: int
    tid: int
    gone: bool
    last_cpu: Optional[int]
    planned_cpu: Optional[int]
    planned_node: int
    result: int
    pinned: bool
    thread_name: str

@dataclass(frozen=True)
class MemoryRegion:
    start: int
    length: int
    name: str

class Vm:
    def detach(self) -> None: ...
    def __enter__(self) -> Vm: ...
    def __exit__(self, t: Optional[Type[BaseException]], v: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None: ...
    def refresh(self) -> None: ...
    @property
    def info(self) -> VmInfo: ...
    @property
    def id(self) -> int: ...
    def vcpu(self, index: int) -> VcpuInfo: ...
    @property
    def vcpus(self) -> List[VcpuInfo]: ...
    def vcpu_limits(self, index: int) -> VcpuLimits: ...
    def vcpu_allowed_cpus(self, index: int) -> List[int]: ...
    @property
    def memory_regions(self) -> List[MemoryRegion]: ...
    def numa_cells(self) -> Tuple[int, str]: ...
    def set_numa_cells(self, cells: Sequence[Tuple[Sequence[int], Sequence[Tuple[int, int]]]]) -> None: ...
    def pin(self, strategy: Strategy = ..., smt: SmtPolicy = ..., *,
            reserved_cpus: Optional[str] = ..., vcpu_count: int = ...,
            dry_run: bool = ..., nice: Optional[int] = ...,
            sched: Optional[SchedPolicy] = ..., rt_priority: int = ...,
            override_pins: bool = ...) -> None: ...
    def configure_affinity(self, vcpu_count: int, strategy: Strategy) -> None: ...
    def restore_affinity(self) -> None: ...
    def locality(self) -> Locality: ...
    def capture_affinity_state(self, strategy: Strategy = ..., smt: SmtPolicy = ..., *,
                               reserved_cpus: Optional[str] = ..., vcpu_count: int = ...,
                               dry_run: bool = ..., nice: Optional[int] = ...,
                               sched: Optional[SchedPolicy] = ...,
                               rt_priority: int = ...) -> Dict[str, Any]: ...
    def affinity_state(self) -> Dict[str, Any]: ...
    def load_affinity_state(self, state: Dict[str, Any] | str | bytes) -> None: ...

class Manager:
    def __init__(self, *, synthetic: Optional[str] = ..., xml: Optional[str] = ...,
                 allowed_cpus: Optional[str] = ..., sysfs_root: Optional[str] = ...,
                 devfs_root: Optional[str] = ..., devicetree_root: Optional[str] = ...) -> None: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> None: ...
    def __enter__(self) -> Manager: ...
    def __exit__(self, t: Optional[Type[BaseException]], v: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None: ...
    def setup_full(self) -> None: ...
    def init_smmu(self) -> None: ...
    def init_vcpu_affinity(self) -> None: ...
    def enable_numa(self, numa_nodes: int) -> None: ...
    def disable_numa(self) -> None: ...
    def component(self, component: Component) -> ComponentStatus: ...
    @property
    def components(self) -> Dict[Component, ComponentStatus]: ...
    @property
    def is_numa_enabled(self) -> bool: ...
    @property
    def is_smmu_initialized(self) -> bool: ...
    @property
    def is_vcpu_affinity_initialized(self) -> bool: ...
    @property
    def topology(self) -> Topology: ...
    @property
    def smmu(self) -> Smmu: ...
    def hypervisor(self, kind: Hypervisor) -> HypervisorInfo: ...
    @property
    def hypervisors(self) -> Dict[Hypervisor, HypervisorInfo]: ...
    @property
    def iommu(self) -> IommuInfo: ...
    def report_bytes(self, format: Format = ...) -> bytes: ...
    def report(self) -> pb.DiagnosticReport: ...
    def attach(self, pid: int, *, name: Optional[str] = ...,
               vcpu_tids: Optional[Sequence[int]] = ...,
               memory: Optional[Sequence[Tuple[int, int]]] = ...,
               qmp_socket: Optional[str] = ..., libvirt_uri: Optional[str] = ...) -> Vm: ...
    def attach_qmp(self, socket_path: str, *, name: Optional[str] = ...) -> Vm: ...
    def attach_libvirt(self, domain: str, uri: Optional[str] = ..., *,
                       name: Optional[str] = ...) -> Vm: ...
    def register(self, vcpu_tids: Sequence[int], *, name: Optional[str] = ...,
                 memory: Optional[Sequence[Tuple[int, int]]] = ...) -> Vm: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...
    @property
    def is_running(self) -> bool: ...
    def next_event(self, timeout: Optional[float] = ...) -> Optional[pb.Event]: ...
    def events(self, timeout: Optional[float] = ...) -> Iterator[pb.Event]: ...
    def aevents(self) -> AsyncIterator[pb.Event]: ...
    @property
    def events_fd(self) -> int: ...
    @property
    def event_stats(self) -> EventStats: ...
    def configure_numa(self, options: Optional[NumaOptions] = ..., *,
                       interval_ms: int = ..., threshold: float = ...,
                       hysteresis: float = ..., trigger_samples: int = ...,
                       cooldown_samples: int = ..., migrate_mb_per_s: int = ...,
                       sample_error: float = ..., fix: NumaFix = ...,
                       dry_run: bool = ..., migrate_workers: int = ...,
                       migrate_whole: bool = ..., override_pins: bool = ...,
                       migrate_stop_vcpus: bool = ...) -> None: ...
    def numa_tick(self) -> None: ...
    def numa_alloc(self, size: int, policy: AllocPolicy = ..., node: int = ...) -> NumaBuffer: ...
