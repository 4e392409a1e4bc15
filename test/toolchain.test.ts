/**
 * The suite must run on the Lambda runtime's Node major (nodejs24.x), not on whatever Node the
 * machine ships: `npm ci` installs Node 24 from the npm registry (devDependency `node`) and npm
 * scripts put it first on PATH.
 */
test('tests run on Node 24, the Lambda runtime major', () => {
  expect(process.versions.node.split('.')[0]).toBe('24');
});
