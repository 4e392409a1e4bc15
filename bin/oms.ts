#!/usr/bin/env node
/**
 * CDK app: one environment-agnostic OmsStack, checked by cdk-nag's AwsSolutions pack. cdk-nag v3 is
 * a CDK policy-validation plugin (not an Aspect): violations fail `cdk synth`, acknowledgments are
 * `Validations.of(construct).acknowledge(...)` in the constructs, each with its reason.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { OmsStack } from '../lib/oms-stack.js';

const app = new App();
new OmsStack(app, 'StockbotOms', {
  description: 'Stockbot Order Management System (Alpaca v2 compatible API, event-sourced orders)',
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
