using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace OpsConsole.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class ApiKeyRotation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "WebhookSecret",
                table: "Paths",
                type: "character varying(1000)",
                maxLength: 1000,
                nullable: true,
                oldClrType: typeof(string),
                oldType: "character varying(200)",
                oldMaxLength: 200,
                oldNullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "ExpiresAt",
                table: "ApiKeys",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "ExpiryWarnedAt",
                table: "ApiKeys",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "GraceUntil",
                table: "ApiKeys",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "ReplacedById",
                table: "ApiKeys",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "RotatedFromId",
                table: "ApiKeys",
                type: "integer",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_ApiKeys_RevokedAt_ExpiresAt",
                table: "ApiKeys",
                columns: new[] { "RevokedAt", "ExpiresAt" });

            migrationBuilder.CreateIndex(
                name: "IX_ApiKeys_RevokedAt_GraceUntil",
                table: "ApiKeys",
                columns: new[] { "RevokedAt", "GraceUntil" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_ApiKeys_RevokedAt_ExpiresAt",
                table: "ApiKeys");

            migrationBuilder.DropIndex(
                name: "IX_ApiKeys_RevokedAt_GraceUntil",
                table: "ApiKeys");

            migrationBuilder.DropColumn(
                name: "ExpiresAt",
                table: "ApiKeys");

            migrationBuilder.DropColumn(
                name: "ExpiryWarnedAt",
                table: "ApiKeys");

            migrationBuilder.DropColumn(
                name: "GraceUntil",
                table: "ApiKeys");

            migrationBuilder.DropColumn(
                name: "ReplacedById",
                table: "ApiKeys");

            migrationBuilder.DropColumn(
                name: "RotatedFromId",
                table: "ApiKeys");

            migrationBuilder.AlterColumn<string>(
                name: "WebhookSecret",
                table: "Paths",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true,
                oldClrType: typeof(string),
                oldType: "character varying(1000)",
                oldMaxLength: 1000,
                oldNullable: true);
        }
    }
}
