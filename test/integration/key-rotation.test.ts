import { defineKeyRotationFlows } from '../flows/key-rotation.flows';

describe('signing key rotation on SQLite', () => {
  defineKeyRotationFlows(() => ({}));
});
