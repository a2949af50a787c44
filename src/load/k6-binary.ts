// Where the k6 binary is: $HALAB_K6 when set (and only there), else `go install`'s bin directories
// ($GOBIN, $GOPATH/bin, ~/go/bin) and then $PATH. scripts/setup.sh installs it with go install.
import { findGoBinary, type BinaryLocation } from '../core/go-binary.js';

export type K6Location = BinaryLocation;

export function findK6(env: NodeJS.ProcessEnv = process.env): K6Location {
  return findGoBinary('k6', 'HALAB_K6', 'scripts/setup.sh installs it', env);
}
