using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OpsConsole.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Budgets : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ContainedBy",
                table: "Paths",
                type: "TEXT",
                maxLength: 32,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "BudgetCrossings",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    PathId = table.Column<int>(type: "INTEGER", nullable: false),
                    Period = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    PeriodStart = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Level = table.Column<int>(type: "INTEGER", nullable: false),
                    Metric = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    Spent = table.Column<double>(type: "REAL", nullable: false),
                    Limit = table.Column<double>(type: "REAL", nullable: false),
                    At = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ActionTaken = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    IncidentId = table.Column<long>(type: "INTEGER", nullable: true),
                    RolloutBefore = table.Column<int>(type: "INTEGER", nullable: true),
                    RestoredAt = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BudgetCrossings", x => x.Id);
                    table.ForeignKey(
                        name: "FK_BudgetCrossings_Paths_PathId",
                        column: x => x.PathId,
                        principalTable: "Paths",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "PathBudgets",
                columns: table => new
                {
                    PathId = table.Column<int>(type: "INTEGER", nullable: false),
                    DailyUsd = table.Column<double>(type: "REAL", nullable: true),
                    DailyTokens = table.Column<long>(type: "INTEGER", nullable: true),
                    MonthlyUsd = table.Column<double>(type: "REAL", nullable: true),
                    MonthlyTokens = table.Column<long>(type: "INTEGER", nullable: true),
                    WarnPercent = table.Column<int>(type: "INTEGER", nullable: false),
                    SecondWarnPercent = table.Column<int>(type: "INTEGER", nullable: false),
                    Action = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    LowerToPercent = table.Column<int>(type: "INTEGER", nullable: true),
                    RestoreAtReset = table.Column<bool>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PathBudgets", x => x.PathId);
                    table.ForeignKey(
                        name: "FK_PathBudgets_Paths_PathId",
                        column: x => x.PathId,
                        principalTable: "Paths",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "PathSpends",
                columns: table => new
                {
                    PathId = table.Column<int>(type: "INTEGER", nullable: false),
                    Period = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    PeriodStart = table.Column<DateTime>(type: "TEXT", nullable: false),
                    CostUsd = table.Column<double>(type: "REAL", nullable: false),
                    Tokens = table.Column<long>(type: "INTEGER", nullable: false),
                    Events = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PathSpends", x => new { x.PathId, x.Period, x.PeriodStart });
                    table.ForeignKey(
                        name: "FK_PathSpends_Paths_PathId",
                        column: x => x.PathId,
                        principalTable: "Paths",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_BudgetCrossings_PathId_Period_PeriodStart_Level",
                table: "BudgetCrossings",
                columns: new[] { "PathId", "Period", "PeriodStart", "Level" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "BudgetCrossings");

            migrationBuilder.DropTable(
                name: "PathBudgets");

            migrationBuilder.DropTable(
                name: "PathSpends");

            migrationBuilder.DropColumn(
                name: "ContainedBy",
                table: "Paths");
        }
    }
}
