/**
 * Rows that others point to: models, hardware platforms (browser x version x backend x adapter on a host) and test
 * runs. Get-or-create with an in-process cache; not on any hot path.
 */
import { gitInfo, systemInfo } from './environment';
import { sqlTimestamp, type Store } from './store';

export interface HardwareDescriptor {
  browser: string;
  browserVersion: string | undefined;
  backend: string;
  adapterVendor?: string | undefined;
  adapterArchitecture?: string | undefined;
  /** false for a software WebGPU adapter (SwiftShader, lavapipe): real execution, not real GPU hardware. */
  isRealHardware: boolean;
  softwareReason?: string | undefined;
  adapterInfo?: unknown;
  browserInfo?: unknown;
  /** The machine it ran on. @default this host (imported and posted results name theirs, or "unknown") */
  host?: string | undefined;
}

export interface ModelDescriptor {
  name: string;
  type?: string | undefined;
  family?: string | undefined;
  source?: string | undefined;
}

export type RunType = 'pool' | 'benchmark' | 'import' | 'integration';

export class Dimensions {
  private readonly models = new Map<string, Promise<number>>();
  private readonly hardware = new Map<string, Promise<number>>();

  constructor(private readonly store: Store) {}

  static hardwareKey(h: HardwareDescriptor): string {
    const adapter = h.backend === 'webgpu' ? `${h.adapterVendor ?? '?'}/${h.adapterArchitecture ?? '?'}` : '-';
    return [h.host ?? systemInfo().host, h.browser, h.browserVersion ?? '?', h.backend, adapter].join('|');
  }

  modelId(m: ModelDescriptor): Promise<number> {
    let id = this.models.get(m.name);
    if (id === undefined) {
      id = this.getOrCreate('models', 'model_id', 'model_name', m.name, {
        model_type: m.type ?? null,
        model_family: m.family ?? null,
        source: m.source ?? null,
      });
      this.models.set(m.name, id);
    }
    return id;
  }

  hardwareId(h: HardwareDescriptor): Promise<number> {
    const key = Dimensions.hardwareKey(h);
    const cacheKey = `${key}#${h.isRealHardware}`;
    let id = this.hardware.get(cacheKey);
    if (id === undefined) {
      id = this.resolveHardware(key, h);
      this.hardware.set(cacheKey, id);
    }
    return id;
  }

  /**
   * The platform row for `h`. Realness is a property of the platform row that every view joins on, so a result
   * that did not run on real hardware never shares a row with one that did (a legacy file's simulated CUDA result
   * next to a measured one): when the plain key exists with the other realness, this one gets a suffixed key.
   * Rows that agree keep the plain key, so existing files keep their ids.
   */
  private async resolveHardware(plainKey: string, h: HardwareDescriptor): Promise<number> {
    const existing = await this.store.one<{ id: number; real: boolean }>('SELECT hardware_id AS id, is_real_hardware AS real FROM hardware_platforms WHERE hardware_key = ?', [plainKey]);
    if (existing?.real === h.isRealHardware) {
      return existing.id;
    }
    const key = existing === undefined ? plainKey : `${plainKey}|${h.isRealHardware ? 'real' : 'not-real-hardware'}`;
    const sys = systemInfo();
    const local = h.host === undefined || h.host === sys.host;
    return this.getOrCreate('hardware_platforms', 'hardware_id', 'hardware_key', key, {
      browser: h.browser,
      browser_version: h.browserVersion ?? null,
      backend: h.backend,
      adapter_vendor: h.adapterVendor ?? null,
      adapter_architecture: h.adapterArchitecture ?? null,
      is_real_hardware: h.isRealHardware,
      software_reason: h.softwareReason ?? null,
      host: h.host ?? sys.host,
      os: local ? sys.os : null,
      cpu: local ? sys.cpu : null,
      cores: local ? sys.cores : null,
      memory_gb: local ? sys.memoryGb : null,
      adapter_info: h.adapterInfo === undefined ? null : JSON.stringify(h.adapterInfo),
      browser_info: h.browserInfo === undefined ? null : JSON.stringify(h.browserInfo),
    });
  }

  /** Opens a `test_runs` row for this process's work (a pool session, a sweep, an import) and returns its id. */
  async startRun(name: string, type: RunType, metadata: Record<string, unknown> = {}): Promise<number> {
    const id = await this.store.nextId('test_runs', 'run_id');
    const git = gitInfo();
    await this.store.run(
      'INSERT INTO test_runs (run_id, test_name, test_type, started_at, git_commit, git_branch, command_line, metadata) VALUES (?, ?, ?, ?::TIMESTAMP, ?, ?, ?, ?)',
      [id, name, type, sqlTimestamp(new Date()), git.commit ?? null, git.branch ?? null, process.argv.slice(1).join(' '), JSON.stringify({ ...metadata, system: systemInfo() })],
    );
    return id;
  }

  async endRun(runId: number, success: boolean): Promise<void> {
    await this.store.run('UPDATE test_runs SET ended_at = ?::TIMESTAMP, success = ? WHERE run_id = ?', [sqlTimestamp(new Date()), success, runId]);
  }

  private async getOrCreate(table: string, idColumn: string, keyColumn: string, key: string, values: Record<string, string | number | boolean | null>): Promise<number> {
    const found = await this.store.one<{ id: number }>(`SELECT ${idColumn} AS id FROM ${table} WHERE ${keyColumn} = ?`, [key]);
    if (found !== undefined) {
      return found.id;
    }
    const id = await this.store.nextId(table, idColumn);
    const cols = [idColumn, keyColumn, ...Object.keys(values), 'added_at'];
    await this.store.run(
      `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((c) => (c === 'added_at' ? '?::TIMESTAMP' : '?')).join(', ')})`,
      [id, key, ...Object.values(values), sqlTimestamp(new Date())],
    );
    return id;
  }
}
