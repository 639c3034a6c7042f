using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OpsConsole.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ReviewClaimsAndLabels : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "ClaimUntil",
                table: "ReviewItems",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "ClaimedAt",
                table: "ReviewItems",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ClaimedById",
                table: "ReviewItems",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ClaimedByName",
                table: "ReviewItems",
                type: "TEXT",
                maxLength: 256,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "CorrectedOutput",
                table: "ReviewItems",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "DecidedAt",
                table: "ReviewItems",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "DecidedById",
                table: "ReviewItems",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "DecidedByName",
                table: "ReviewItems",
                type: "TEXT",
                maxLength: 256,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Note",
                table: "ReviewItems",
                type: "TEXT",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ReasonTags",
                table: "ReviewItems",
                type: "TEXT",
                nullable: false,
                defaultValue: "[]");

            migrationBuilder.AddColumn<int>(
                name: "Round",
                table: "ReviewItems",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "Labels",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ReviewItemId = table.Column<long>(type: "INTEGER", nullable: false),
                    PathId = table.Column<int>(type: "INTEGER", nullable: false),
                    EventId = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    Decision = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    OriginalOutput = table.Column<string>(type: "TEXT", nullable: true),
                    CorrectedOutput = table.Column<string>(type: "TEXT", nullable: true),
                    ReasonTags = table.Column<string>(type: "TEXT", nullable: false),
                    Note = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    ReviewerId = table.Column<string>(type: "TEXT", nullable: true),
                    ReviewerName = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    DecidedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ModelVersion = table.Column<string>(type: "TEXT", nullable: true),
                    PromptVersion = table.Column<string>(type: "TEXT", nullable: true),
                    ReviewReason = table.Column<string>(type: "TEXT", maxLength: 20, nullable: false),
                    SupersededByLabelId = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Labels", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Labels_PathId_Id",
                table: "Labels",
                columns: new[] { "PathId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_Labels_ReviewItemId",
                table: "Labels",
                column: "ReviewItemId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Labels");

            migrationBuilder.DropColumn(
                name: "ClaimUntil",
                table: "ReviewItems");

            migrationBuilder.DropColumn(
                name: "ClaimedAt",
                table: "ReviewItems");

            migrationBuilder.DropColumn(
                name: "ClaimedById",
                table: "ReviewItems");

            migrationBuilder.DropColumn(
                name: "ClaimedByName",
                table: "ReviewItems");

            migrationBuilder.DropColumn(
                name: "CorrectedOutput",
                table: "ReviewItems");

            migrationBuilder.DropColumn(
                name: "DecidedAt",
                table: "ReviewItems");

            migrationBuilder.DropColumn(
                name: "DecidedById",
                table: "ReviewItems");

            migrationBuilder.DropColumn(
                name: "DecidedByName",
                table: "ReviewItems");

            migrationBuilder.DropColumn(
                name: "Note",
                table: "ReviewItems");

            migrationBuilder.DropColumn(
                name: "ReasonTags",
                table: "ReviewItems");

            migrationBuilder.DropColumn(
                name: "Round",
                table: "ReviewItems");
        }
    }
}
