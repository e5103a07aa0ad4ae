/**
 * Regenerates the committed product pictures:
 * - tasks/<Task>V1/icon.png (32×32): one glyph per task on its own colour — a factory (Data
 *   Factory), a flask (Azure ML pipeline), a tag (model registry), a ship's wheel (AKS);
 * - images/lifecycle.png: the lifecycle the four tasks make, with the output variables that join
 *   them, as shown on the Marketplace page (overview.md).
 *
 *   npx tsc -p . && node out/scripts/productImages.js
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Canvas, circle, line, polygon, rect, ring, roundRect, type Rgba, type Shape } from "./canvas";
import { findRepoRoot } from "../devkit/repoRoot";

const WHITE: Rgba = [255, 255, 255, 255];
const INK: Rgba = [36, 36, 36, 255];
const GREY: Rgba = [96, 96, 96, 255];

export interface TaskPicture {
  folder: string;
  title: string;
  detail: string;
  color: Rgba;
  /** The glyph in a unit square (0..1), drawn white on the task's colour. */
  glyph: (s: number, x: number, y: number) => Shape[];
}

const at =
  (s: number, x: number, y: number) =>
  (u: number, v: number): [number, number] => [x + u * s, y + v * s];

export const TASK_PICTURES: TaskPicture[] = [
  {
    folder: "TriggerADFPipelineV1",
    title: "Data Factory",
    detail: "prepare-training-data",
    color: [0, 120, 212, 255],
    glyph: (s, x, y) => {
      const p = at(s, x, y);
      return [
        polygon([
          p(0.14, 0.84),
          p(0.14, 0.46),
          p(0.36, 0.58),
          p(0.36, 0.46),
          p(0.58, 0.58),
          p(0.58, 0.22),
          p(0.74, 0.22),
          p(0.74, 0.58),
          p(0.86, 0.58),
          p(0.86, 0.84),
        ]),
      ];
    },
  },
  {
    folder: "SubmitAzureMLPipelineV1",
    title: "Azure ML pipeline",
    detail: "train_pipeline",
    color: [92, 45, 145, 255],
    glyph: (s, x, y) => {
      const p = at(s, x, y);
      return [
        polygon([p(0.4, 0.16), p(0.6, 0.16), p(0.6, 0.42), p(0.86, 0.84), p(0.14, 0.84), p(0.4, 0.42)]),
        rect(x + 0.33 * s, y + 0.1 * s, 0.34 * s, 0.08 * s),
      ];
    },
  },
  {
    folder: "RegisterModelV1",
    title: "Model registry",
    detail: "best_model",
    color: [16, 124, 16, 255],
    glyph: (s, x, y) => {
      const p = at(s, x, y);
      return [polygon([p(0.14, 0.3), p(0.56, 0.3), p(0.86, 0.5), p(0.56, 0.7), p(0.14, 0.7)])];
    },
  },
  {
    folder: "DeployToAKSV1",
    title: "AKS endpoint",
    detail: "model-service",
    color: [202, 80, 16, 255],
    glyph: (s, x, y) => {
      const c = [x + 0.5 * s, y + 0.5 * s] as const;
      const spokes = [0, 1, 2, 3, 4, 5, 6].map((i) => {
        const a = (i / 7) * 2 * Math.PI - Math.PI / 2;
        return line(c[0] + Math.cos(a) * 0.12 * s, c[1] + Math.sin(a) * 0.12 * s, c[0] + Math.cos(a) * 0.4 * s, c[1] + Math.sin(a) * 0.4 * s, 0.08 * s);
      });
      return [ring(c[0], c[1], 0.32 * s, 0.09 * s), circle(c[0], c[1], 0.12 * s), ...spokes];
    },
  },
];

/** The tag's hole is cut after the glyph (drawn in the tile colour). */
function holes(task: TaskPicture, s: number, x: number, y: number): Shape[] {
  return task.folder === "RegisterModelV1" ? [circle(x + 0.6 * s, y + 0.5 * s, 0.07 * s)] : [];
}

function drawTile(canvas: Canvas, task: TaskPicture, x: number, y: number, size: number): void {
  canvas.fill(roundRect(x, y, size, size, size * 0.16), task.color);
  for (const shape of task.glyph(size, x, y)) canvas.fill(shape, WHITE);
  for (const shape of holes(task, size, x, y)) canvas.fill(shape, task.color);
}

export function renderTaskIcon(task: TaskPicture, size = 32): Buffer {
  const canvas = new Canvas(size, size);
  drawTile(canvas, task, 0, 0, size);
  return canvas.toPng();
}

function arrow(canvas: Canvas, x1: number, x2: number, y: number, color: Rgba): void {
  canvas.fill(line(x1, y, x2 - 12, y, 4), color);
  canvas.fill(
    polygon([
      [x2, y],
      [x2 - 16, y - 9],
      [x2 - 16, y + 9],
    ]),
    color,
  );
}

/** images/lifecycle.png: ADF → Azure ML → registry → AKS, joined by the step outputs. */
export function renderLifecycleDiagram(): Buffer {
  const width = 1440;
  const height = 380;
  const canvas = new Canvas(width, height, [255, 255, 255, 255]);
  canvas.centredText("MLOps lifecycle in one Azure Pipelines job", width / 2, 24, 3, INK);
  const boxWidth = 260;
  const gap = (width - 40 - 4 * boxWidth) / 3;
  const top = 80;
  const links = ["$(prep.RunId)", "$(train.JobName)", "$(register.ModelId)"];
  TASK_PICTURES.forEach((task, i) => {
    const x = 20 + i * (boxWidth + gap);
    canvas.fill(roundRect(x, top, boxWidth, 190, 14), [...task.color.slice(0, 3), 36] as unknown as Rgba);
    canvas.fill(roundRect(x, top, boxWidth, 8, 3), task.color);
    drawTile(canvas, task, x + boxWidth / 2 - 32, top + 26, 64);
    canvas.centredText(task.title, x + boxWidth / 2, top + 112, 2, INK);
    canvas.centredText(task.detail, x + boxWidth / 2, top + 140, 2, GREY);
    canvas.centredText(`${task.folder.replace(/V1$/, "")}@1`, x + boxWidth / 2, top + 166, 1, GREY);
    if (i < links.length) {
      const ax = x + boxWidth + 6;
      arrow(canvas, ax, ax + gap - 12, top + 95, INK);
      canvas.centredText(links[i], ax + (gap - 12) / 2, top + 74, 1, INK);
    }
  });
  canvas.centredText("Smoke test: POST sample-request.json to the scoring URI", width / 2, 300, 2, INK);
  canvas.centredText("Azure Data Factory -> Azure Machine Learning -> model registry -> AKS online endpoint", width / 2, 336, 2, GREY);
  return canvas.toPng();
}

function main(): void {
  const repoRoot = findRepoRoot(__dirname);
  for (const task of TASK_PICTURES) {
    const dir = path.join(repoRoot, "tasks", task.folder);
    if (!fs.existsSync(dir)) continue;
    fs.writeFileSync(path.join(dir, "icon.png"), renderTaskIcon(task));
    console.log(`wrote tasks/${task.folder}/icon.png (32x32)`);
  }
  fs.writeFileSync(path.join(repoRoot, "images", "lifecycle.png"), renderLifecycleDiagram());
  console.log("wrote images/lifecycle.png (1440x380)");
}

if (require.main === module) {
  main();
}
